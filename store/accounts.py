"""Accounts and who may do what where: users, workspace memberships (one role each) and groups."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

from sqlmodel import Session, col, func, select

from store.authentication import hash_password
from store.tables import Group, GroupMember, Membership, User

Role = Literal["admin", "editor", "approver", "auditor", "viewer"]
ROLES: tuple[str, ...] = get_args(Role)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    session: Session, user_id: str, name: str, *, email: str | None = None, password: str | None = None
) -> User:
    user = User(
        id=user_id,
        name=name,
        email=normalise_email(email) if email else None,
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, user_id: str) -> User | None:
    return session.get(User, user_id)


def set_preferences(session: Session, user_id: str, *, locale: str | None, time_zone: str | None) -> None:
    """The person's own language and time zone for the web app (None: from their browser)."""
    user = session.get(User, user_id)
    if user is not None:
        user.locale, user.time_zone = locale, time_zone
        session.add(user)


def user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def set_password(session: Session, user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    session.add(user)


def _known_role(role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"'{role}' is not a role; use one of {', '.join(ROLES)}")
    return role


def set_membership(session: Session, user_id: str, workspace_id: str, role: str) -> Membership:
    """Give the user this role in the workspace, adding the membership if it is new."""
    membership = session.get(Membership, (user_id, workspace_id))
    if membership is None:
        membership = Membership(user_id=user_id, workspace_id=workspace_id, role=_known_role(role))
    else:
        membership.role = _known_role(role)
    session.add(membership)
    session.flush()
    return membership


def add_member(session: Session, workspace_id: str, user_id: str, role: str, *, name: str | None = None) -> Membership:
    """The user (created, named `name` or their id, if the account does not exist yet) joins the workspace."""
    if get_user(session, user_id) is None:
        create_user(session, user_id, name or user_id)
    return set_membership(session, user_id, workspace_id, role)


def get_membership(session: Session, user_id: str, workspace_id: str) -> Membership | None:
    return session.get(Membership, (user_id, workspace_id))


def remove_membership(session: Session, membership: Membership) -> None:
    session.delete(membership)
    session.flush()


def memberships_of(session: Session, user_id: str) -> dict[str, str]:
    """Workspace id -> role, for every workspace the user belongs to."""
    rows = session.exec(select(Membership).where(Membership.user_id == user_id))
    return {m.workspace_id: m.role for m in rows}


def members(session: Session, workspace_id: str) -> list[tuple[User, str]]:
    rows = session.exec(
        select(User, Membership.role)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(Membership.workspace_id == workspace_id)
        .order_by(col(User.id))
    )
    return [(user, role) for user, role in rows]


def member_roles(session: Session, workspace_id: str) -> dict[str, str]:
    """User id -> role for every member of the workspace (what approval steps by role resolve against)."""
    rows = session.exec(select(Membership).where(Membership.workspace_id == workspace_id))
    return {m.user_id: m.role for m in rows}


def admin_count(session: Session, workspace_id: str) -> int:
    query = select(func.count()).where(Membership.workspace_id == workspace_id, Membership.role == "admin")
    return int(session.exec(query).one())


def add_group(session: Session, workspace_id: str, name: str, user_ids: Iterable[str] = ()) -> Group:
    group = Group(workspace_id=workspace_id, name=name)
    session.add(group)
    session.flush()
    for user_id in user_ids:
        add_to_group(session, group, user_id)
    return group


def add_to_group(session: Session, group: Group, user_id: str) -> None:
    assert group.id is not None
    if session.get(GroupMember, (group.id, user_id)) is None:
        session.add(GroupMember(group_id=group.id, user_id=user_id))
        session.flush()


def group_members(session: Session, workspace_id: str, names: Iterable[str]) -> dict[str, list[str]]:
    """Group name -> the ids of its users who are still members of the workspace. A name that is no group of
    the workspace is absent from the answer."""
    wanted = set(names)
    if not wanted:
        return {}
    groups = session.exec(select(Group).where(Group.workspace_id == workspace_id, col(Group.name).in_(wanted)))
    answer: dict[str, list[str]] = {g.name: [] for g in groups}
    rows = session.exec(
        select(Group.name, GroupMember.user_id)
        .join(GroupMember, col(GroupMember.group_id) == col(Group.id))
        .join(
            Membership,
            (col(Membership.user_id) == col(GroupMember.user_id)) & (col(Membership.workspace_id) == workspace_id),
        )
        .where(Group.workspace_id == workspace_id, col(Group.name).in_(wanted))
        .order_by(col(GroupMember.user_id))
    )
    for name, user_id in rows:
        answer[name].append(user_id)
    return answer
