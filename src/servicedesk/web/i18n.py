"""Interface text in Simplified Chinese (default) and English.

A message catalogue in code: small, type-checked, and a missing key shows up as the key
itself rather than a crash. Enum labels come from domain.labels.
"""

from __future__ import annotations

from starlette.requests import Request

from servicedesk.domain.labels import DEFAULT_LOCALE, SUPPORTED_LOCALES

LOCALE_COOKIE = "sd_lang"

MESSAGES: dict[str, tuple[str, str]] = {
    "app_name": ("智能客服平台", "Service Desk"),
    "sign_in": ("登录", "Sign in"),
    "sign_out": ("退出", "Sign out"),
    "email": ("邮箱", "Email"),
    "password": ("密码", "Password"),
    "wrong_credentials": ("邮箱或密码错误", "Wrong email or password"),
    "language": ("English", "中文"),
    "error": ("出错了", "Something went wrong"),
    "back": ("返回", "Back"),
    "not_found": ("页面不存在或您无权查看", "Not found, or you may not see it"),
    "forbidden": ("您没有权限执行此操作", "You are not allowed to do this"),
    "csrf_failed": (
        "表单已过期，请刷新页面后重试",
        "The form has expired; reload the page and try again",
    ),
}


def locale_of(request: Request) -> str:
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in SUPPORTED_LOCALES:
        return chosen
    accept = request.headers.get("accept-language", "")
    if accept.lower().startswith("en"):
        return "en"
    return DEFAULT_LOCALE


def translate(key: str, locale: str) -> str:
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    return pair[1] if locale == "en" else pair[0]
