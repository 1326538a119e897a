"""Tasks: the Needs-attention queue (TASK-1…5, decisions.md "Tasks").

`kinds` names what a task is about and who gets it by default (`assignees`); `commands`
opens (idempotent per business key), assigns, edits, resolves, dismisses and reopens;
`queries` lists what a viewer may see (the same rule as `services.access.sees_task`, in
SQL), counts for the home page, and the alerts the AttentionSweep sent.
"""
