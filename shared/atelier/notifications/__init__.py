"""The emails the shop sends (P7, P11): templates kept in the project, rendered per event."""

from atelier.notifications.layout import Email
from atelier.notifications.render import render_email

__all__ = ["Email", "render_email"]
