"""The client portal: accounts and grants, one-time links, sessions (PORT-*, REL-*)."""
