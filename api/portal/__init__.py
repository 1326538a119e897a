"""The client portal's pages (`/portal/{practice link name}`)."""
