"""Pydantic models shared by the API, the workflows and the activities. Imports nothing of ours."""
