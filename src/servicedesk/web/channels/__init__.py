"""Inbound webhooks of the channels (WeChat, later voice and social): machine clients, JSON or
the vendor's own format in, precise errors out."""

from fastapi import APIRouter

from servicedesk.web.channels import social, voice, webchat, wechat

router = APIRouter(prefix="/channels", include_in_schema=False)
router.include_router(wechat.router)
router.include_router(social.router)
router.include_router(webchat.router)
router.include_router(voice.router)
