"""Which transport delivers each channel's outbound messages: the one place channels register.

Whether a channel is configured is `Settings.sending_channels`, which the services ask before
writing: a reply on a channel it does not list is stored on the case as not delivered, with
that reason, and never queued. A channel that is configured but has no transport in this
process (web chat without its hub) has its messages dead-lettered with that reason, visible to
admins and on the case.
"""

from __future__ import annotations

from servicedesk.channels.email.transport import SmtpTransport
from servicedesk.channels.sms.transport import LogSmsTransport
from servicedesk.channels.social.douyin import DouyinTransport
from servicedesk.channels.social.weibo import WeiboTransport
from servicedesk.channels.webchat.hub import ChatHub
from servicedesk.channels.webchat.transport import WebChatTransport
from servicedesk.channels.wechat.transport import WeChatTransport
from servicedesk.domain.catalog import Channel
from servicedesk.jobs.outbox import Transport
from servicedesk.settings import Settings


def transports(settings: Settings, *, chat_hub: ChatHub | None = None) -> dict[Channel, Transport]:
    on = settings.sending_channels
    found: dict[Channel, Transport] = {}
    if chat_hub is not None:
        found[Channel.WEB_CHAT] = WebChatTransport(chat_hub)
    if Channel.PHONE in on:
        found[Channel.PHONE] = LogSmsTransport()
    if Channel.WECHAT in on and settings.wechat_app_id and settings.wechat_app_secret:
        found[Channel.WECHAT] = WeChatTransport(
            app_id=settings.wechat_app_id,
            app_secret=settings.wechat_app_secret,
            base_url=settings.wechat_api_base,
        )
    if Channel.EMAIL in on:
        found[Channel.EMAIL] = SmtpTransport(settings)
    if Channel.WEIBO in on and settings.weibo_access_token:
        found[Channel.WEIBO] = WeiboTransport(
            access_token=settings.weibo_access_token,
            api_base=settings.weibo_api_base,
            messages_base=settings.weibo_messages_api_base,
            client_ip=settings.weibo_client_ip,
        )
    if Channel.DOUYIN in on and settings.douyin_access_token and settings.douyin_open_id:
        found[Channel.DOUYIN] = DouyinTransport(
            access_token=settings.douyin_access_token,
            open_id=settings.douyin_open_id,
            client_key=settings.douyin_client_key,
            refresh_token=settings.douyin_refresh_token,
            api_base=settings.douyin_api_base,
        )
    return found
