"""People: clients and contacts (not logins), organizations, relationships and helpers."""
