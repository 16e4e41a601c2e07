"""The emails the shop sends (P7, P11): templates kept in the project, rendered per event."""

from atelier.notifications.render import Email, render_email

__all__ = ["Email", "render_email"]
