"""Which transport delivers each channel's outbound messages: the one place channels register.

A channel without a transport here has its messages dead-lettered with that reason, visible
to admins, rather than silently kept or dropped.
"""

from __future__ import annotations

from servicedesk.channels.email.transport import SmtpTransport
from servicedesk.channels.sms.transport import LogSmsTransport
from servicedesk.channels.webchat.hub import ChatHub
from servicedesk.channels.webchat.transport import WebChatTransport
from servicedesk.channels.wechat.transport import WeChatTransport
from servicedesk.domain.catalog import Channel
from servicedesk.jobs.outbox import Transport
from servicedesk.settings import Settings


def transports(settings: Settings, *, chat_hub: ChatHub | None = None) -> dict[Channel, Transport]:
    found: dict[Channel, Transport] = {}
    if chat_hub is not None:
        found[Channel.WEB_CHAT] = WebChatTransport(chat_hub)
    if settings.sms_provider == "log":
        found[Channel.PHONE] = LogSmsTransport()
    if settings.wechat_app_id and settings.wechat_app_secret:
        found[Channel.WECHAT] = WeChatTransport(
            app_id=settings.wechat_app_id,
            app_secret=settings.wechat_app_secret,
            base_url=settings.wechat_api_base,
        )
    if settings.smtp_relay_host:
        found[Channel.EMAIL] = SmtpTransport(settings)
    return found
