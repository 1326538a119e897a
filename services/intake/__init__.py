"""Intake (FORM-*, WFS-*): packets sent to a case's participants, their checklist rows,
and what the portal saves into them."""
