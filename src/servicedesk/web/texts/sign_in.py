"""Signing in: the lock after repeated failures."""

MESSAGES: dict[str, tuple[str, str]] = {
    "sign_in_locked": (
        "登录失败次数过多，为保护账号安全已暂时锁定，请 {minutes} 分钟后再试，或联系管理员。",
        "Too many failed sign-ins: this account is locked for now. "
        "Try again in {minutes} min, or ask an admin.",
    ),
}
