"""A realistic help-desk database, fast: bulk Core inserts straight into the tables.

Customers with Chinese names and mobile numbers, a few teams and agents, tickets over the last
90 days whose status follows their age, one conversation, one inbound message and one
`ticket.created` event per ticket, tags on some. The two users the benchmark signs in as (an
admin who sees everything, an agent who sees their team) go through the real services.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert, text
from sqlalchemy.ext.asyncio import AsyncConnection

from servicedesk.domain.catalog import Channel, CustomerTier, MessageKind, Priority, TicketType
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.domain.roles import Role
from servicedesk.services.auth import issue_token
from servicedesk.services.staff import create_user
from servicedesk.settings import Settings
from servicedesk.store.db import Database
from servicedesk.store.models import (
    Conversation,
    Customer,
    CustomerIdentity,
    Event,
    Message,
    Team,
    TeamMember,
    Ticket,
    TicketTag,
    User,
)
from servicedesk.store.uow import UnitOfWork


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
)
GIVEN = _words(
    "伟 芳 娜 秀英 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英 建华 晓东 海燕 志强 丹 萍 鑫 "
    "宇 浩 婷 欣怡 子涵 梓萱 一诺 雨桐 浩然 宇轩 思远 嘉怡 佳琪 俊杰 文博 晨 颖 琳 倩 雪 慧 玲 斌 辉 鹏 飞"
)
MOBILE_PREFIXES = _words(
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 171 173 175 176 177 "
    "178 180 181 182 183 185 186 187 188 189 191 198 199"
)
PRODUCTS = _words(
    "扫地机器人 空气净化器 蓝牙耳机 智能手表 电饭煲 洗碗机 空调 冰箱 洗衣机 手机 平板电脑 笔记本电脑 路由器 "
    "电动牙刷 净水器 热水器 吸尘器 投影仪 智能门锁 摄像头 会员卡 宽带套餐 外卖订单 机票订单 酒店订单"
)
PROBLEMS = _words(
    "无法开机 充电很慢 退款一直未到账 物流信息三天没有更新 屏幕出现亮点 售后维修进度查询 申请开具发票 "
    "优惠券无法使用 账号无法登录 自动续费扣款异常 收到的商品有破损 安装师傅迟迟不上门 噪音很大 频繁断网 "
    "APP无法绑定设备 申请七天无理由退货 保修期内要求换新 配件缺失 价格保护申请 积分没有到账 "
    "客服承诺的补偿未兑现 发货地址填错需要修改 重复扣款 订单被无故取消 说明书看不懂如何设置"
)
SUFFIXES = ("", "", "", "，请尽快处理", "，已经第二次反馈了", "，急！", "（已上传照片）", "，要求退款")
BODY_LINES = (
    "您好，我上周在官方旗舰店购买了这件商品，使用不到三天就出现了问题。",
    "已经按照说明书的步骤重启过，问题依旧存在。",
    "之前联系过在线客服，对方说会在24小时内回电，但一直没有人联系我。",
    "麻烦尽快安排处理，家里老人每天都要用。",
    "订单号见截图，请帮忙核实一下。",
    "如果不能维修，希望可以直接退货退款。",
    "我的手机号就是注册账号的号码，可以直接打电话联系我。",
    "谢谢，辛苦了！",
)
TEAMS = ("客服一线", "技术支持", "售后服务", "VIP专席", "投诉处理")
TAGS = ("退款", "加急", "投诉", "物流", "发票", "保修", "会员", "回访", "vip", "复购")

# Status mix by the ticket's age in days: old cases are mostly closed, new ones mostly active.
STATUS_BY_AGE: tuple[tuple[float, Sequence[tuple[TicketStatus, float]]], ...] = (
    (3, ((TicketStatus.NEW, 0.30), (TicketStatus.OPEN, 0.35), (TicketStatus.PENDING, 0.15),
         (TicketStatus.RESOLVED, 0.15), (TicketStatus.CLOSED, 0.05))),
    (14, ((TicketStatus.NEW, 0.05), (TicketStatus.OPEN, 0.15), (TicketStatus.PENDING, 0.15),
          (TicketStatus.RESOLVED, 0.25), (TicketStatus.CLOSED, 0.40))),
    (91, ((TicketStatus.OPEN, 0.03), (TicketStatus.PENDING, 0.02), (TicketStatus.RESOLVED, 0.05),
          (TicketStatus.CLOSED, 0.90))),
)  # fmt: skip
CHUNK = 10_000
PASSWORD = "bench-password-1"  # noqa: S105 - throwaway users in a throwaway database


@dataclass
class SeedResult:
    tickets: int
    customers: int
    teams: dict[str, int]
    agents: int
    admin_token: str
    agent_token: str
    agent_team_id: int
    customer_ids: list[int]
    sample_customer_names: list[str]
    sample_ticket_ids: list[int]
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def subject(rng: random.Random) -> str:
    return rng.choice(PRODUCTS) + rng.choice(PROBLEMS) + rng.choice(SUFFIXES)


def body(rng: random.Random) -> str:
    return "".join(rng.sample(BODY_LINES, rng.randint(2, 5)))


def _pick_status(rng: random.Random, age_days: float) -> TicketStatus:
    for limit, mix in STATUS_BY_AGE:
        if age_days <= limit:
            statuses = [status for status, _weight in mix]
            return rng.choices(statuses, [weight for _status, weight in mix])[0]
    return TicketStatus.CLOSED


async def _insert(conn: AsyncConnection, table: Any, rows: list[dict[str, Any]]) -> None:
    target: Table = table.__table__
    for start in range(0, len(rows), CHUNK):
        await conn.execute(insert(target), rows[start : start + CHUNK])


class _Gen:
    """Builds every row in memory (about 1 KB per ticket), with ids assigned here so children
    can point at their parents without RETURNING."""

    def __init__(self, n_tickets: int, now: datetime, seed: int) -> None:
        self.rng = random.Random(seed)
        self.n = n_tickets
        self.now = now

    def customers(self, count: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        rng, customers, identities = self.rng, [], []
        phones: set[str] = set()
        tiers = (CustomerTier.REGULAR, CustomerTier.VIP1, CustomerTier.VIP2, CustomerTier.VIP3)
        for cid in range(1, count + 1):
            phone = mobile(rng)
            while phone in phones:
                phone = mobile(rng)
            phones.add(phone)
            created = self.now - timedelta(days=rng.uniform(90, 900))
            customers.append({
                "id": cid, "name": person_name(rng), "phone": phone,
                "email": f"kehu{cid}@example.cn" if rng.random() < 0.4 else None, "id_number": None,
                "tier": rng.choices(tiers, (85, 10, 4, 1))[0], "user_id": None, "advisor_id": None,
                "locale": "zh", "created_at": created, "updated_at": created,
            })  # fmt: skip
            identities.append({
                "id": cid, "customer_id": cid, "channel": Channel.PHONE, "external_id": phone,
                "verified": True, "created_at": created,
            })  # fmt: skip
        return customers, identities

    def staff(self, agents_per_team: int) -> tuple[list[dict[str, Any]], ...]:
        teams, users, members = [], [], []
        created = self.now - timedelta(days=365)
        uid = 0
        for tid, name in enumerate(TEAMS, start=1):
            teams.append({"id": tid, "name": name, "department_id": None, "tier": 2 if tid == 2 else 1,
                          "created_at": created})  # fmt: skip
            for i in range(agents_per_team):
                uid += 1
                users.append({
                    "id": uid, "email": f"agent{uid}@bench.example.cn", "name": person_name(self.rng),
                    "password_hash": None, "role": Role.AGENT, "is_active": True, "locale": "zh",
                    "time_zone": "Asia/Shanghai", "phone": None, "created_at": created,
                })  # fmt: skip
                members.append({"team_id": tid, "user_id": uid, "is_lead": i == 0})
        return teams, users, members

    def tickets(self, n_customers: int, team_agents: dict[int, list[int]]) -> dict[str, list[dict[str, Any]]]:
        rng, now = self.rng, self.now
        out: dict[str, list[dict[str, Any]]] = {k: [] for k in ("tickets", "tags", "conv", "msg", "events")}
        types, priorities = list(TicketType), (Priority.HIGH, Priority.MEDIUM, Priority.LOW)
        channels = list(Channel)
        span = 90 * 86400
        # Oldest first, so ids grow with creation time, as they do in real life.
        offsets = sorted((rng.random() * span for _ in range(self.n)), reverse=True)
        for tid, offset in enumerate(offsets, start=1):
            created = now - timedelta(seconds=offset)
            age = offset / 86400
            status = _pick_status(rng, age)
            team_id = rng.choice(list(team_agents)) if rng.random() < 0.92 else None
            unassigned = status is TicketStatus.NEW and rng.random() < 0.6
            assignee = None if unassigned or team_id is None else rng.choice(team_agents[team_id])
            first_response = None
            resolved = closed = None
            if status is not TicketStatus.NEW:
                first_response = created + timedelta(minutes=rng.uniform(2, 600))
            if status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
                resolved = created + timedelta(hours=rng.uniform(1, min(age * 24, 72)))
            if status is TicketStatus.CLOSED and resolved is not None:
                closed = min(resolved + timedelta(days=rng.uniform(0.1, 3)), now)
            stamps = [s for s in (created, first_response, resolved, closed) if s is not None]
            updated = min(max(stamps), now)
            customer_id = rng.randint(1, n_customers)
            channel = rng.choice(channels)
            ticket_type, priority = rng.choice(types), rng.choices(priorities, (15, 60, 25))[0]
            title = subject(rng)
            tags = sorted(rng.sample(TAGS, rng.randint(1, 2))) if rng.random() < 0.3 else []
            out["tickets"].append({
                "id": tid, "subject": title, "type": ticket_type, "priority": priority, "status": status,
                "channel": channel, "customer_id": customer_id, "team_id": team_id, "assignee_id": assignee,
                "created_at": created, "updated_at": updated, "first_response_at": first_response,
                "resolved_at": resolved, "closed_at": closed, "reopened_count": 0, "version": 1,
            })  # fmt: skip
            out["tags"] += [{"ticket_id": tid, "tag": t} for t in tags]
            out["conv"].append({
                "id": tid, "customer_id": customer_id, "channel": channel, "ticket_id": tid,
                "external_ref": None, "started_at": created, "ended_at": None,
            })  # fmt: skip
            out["msg"].append({
                "id": tid, "conversation_id": tid, "ticket_id": tid, "kind": MessageKind.INBOUND,
                "channel": channel, "author_user_id": None, "author_customer_id": customer_id,
                "body": body(rng), "created_at": created,
            })  # fmt: skip
            out["events"].append({
                "id": tid, "occurred_at": created, "actor_user_id": None, "actor_role": None,
                "action": "ticket.created", "subject_type": "ticket", "subject_id": tid, "ticket_id": tid,
                "before": None,
                "after": {
                    "subject": title, "type": ticket_type.value, "priority": priority.value,
                    "status": TicketStatus.NEW.value, "channel": channel.value,
                    "customer_id": customer_id, "team_id": team_id, "assignee_id": None, "tags": tags,
                },
            })  # fmt: skip
        return out


SERIAL_TABLES = ("users", "teams", "customers", "customer_identities", "tickets", "conversations",
                 "messages", "events")  # fmt: skip


async def _fix_sequences(conn: AsyncConnection) -> None:
    """Explicit ids leave PostgreSQL's sequences at 1; move them past the seeded rows."""
    for name in SERIAL_TABLES:
        await conn.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")  # noqa: S608
        )


async def seed(
    url: str,
    n_tickets: int,
    *,
    seed_value: int = 20240601,
    analyze: bool = True,
    progress: Callable[[str], None] = lambda _msg: None,
) -> SeedResult:
    """Fill a freshly migrated database; returns what the load generator needs to know."""
    started = time.perf_counter()
    settings = Settings(database_url=url, environment="test", sqlite_synchronous="OFF", db_pool_size=2)
    db = Database(settings)
    gen = _Gen(n_tickets, datetime.now(UTC), seed_value)
    n_customers = max(10, n_tickets // 10)
    customers, identities = gen.customers(n_customers)
    teams, users, members = gen.staff(agents_per_team=5)
    team_agents: dict[int, list[int]] = {}
    for m in members:
        team_agents.setdefault(m["team_id"], []).append(m["user_id"])
    rows = gen.tickets(n_customers, team_agents)
    progress(f"generated rows in {time.perf_counter() - started:.1f} s")
    plan: list[tuple[Any, list[dict[str, Any]]]] = [
        (Team, teams), (User, users), (TeamMember, members), (Customer, customers),
        (CustomerIdentity, identities), (Ticket, rows["tickets"]), (TicketTag, rows["tags"]),
        (Conversation, rows["conv"]), (Message, rows["msg"]), (Event, rows["events"]),
    ]  # fmt: skip
    try:
        async with db.engine.begin() as conn:
            for model, table_rows in plan:
                t0 = time.perf_counter()
                await _insert(conn, model, table_rows)
                progress(
                    f"{model.__tablename__}: {len(table_rows):,} rows in {time.perf_counter() - t0:.1f} s"
                )
            if not settings.is_sqlite:
                await _fix_sequences(conn)
        admin_token, agent_token = await _sign_in_users(db, agent_team=1)
        if analyze:
            await _analyze(db)
    finally:
        await db.dispose()
    rng = random.Random(seed_value + 1)
    sample_customers = rng.sample(customers, min(50, len(customers)))
    return SeedResult(
        tickets=len(rows["tickets"]),
        customers=len(customers),
        teams={t["name"]: t["id"] for t in teams},
        agents=len(users),
        admin_token=admin_token,
        agent_token=agent_token,
        agent_team_id=1,
        customer_ids=[c["id"] for c in customers],
        sample_customer_names=[c["name"] for c in sample_customers],
        sample_ticket_ids=[rng.randint(1, n_tickets) for _ in range(50)],
        seconds=time.perf_counter() - started,
        rows={model.__tablename__: len(r) for model, r in plan},
    )


async def _sign_in_users(db: Database, *, agent_team: int) -> tuple[str, str]:
    """An admin (sees every ticket) and an agent of one team, with bearer tokens, through the
    services exactly as `servicedesk createuser` does."""
    async with UnitOfWork(db) as uow:
        admin = await create_user(
            uow, None, email="bench-admin@example.cn", name="压测管理员", role=Role.ADMIN,
            password=PASSWORD, commit=False,
        )  # fmt: skip
        agent = await create_user(
            uow, None, email="bench-agent@example.cn", name="压测坐席", role=Role.AGENT,
            password=PASSWORD, team_ids=[agent_team], commit=False,
        )  # fmt: skip
        admin_token = await issue_token(uow, user_id=admin.id, name="bench")
        agent_token = await issue_token(uow, user_id=agent.id, name="bench")
        await uow.commit()
    return admin_token, agent_token


async def _analyze(db: Database) -> None:
    """Planner statistics, as autovacuum would gather them on PostgreSQL shortly after a bulk
    load; on SQLite `ANALYZE` fills sqlite_stat1 (the app never runs it by itself)."""
    if db.settings.is_sqlite:
        async with db.engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
        return
    async with db.engine.connect() as conn:
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await auto.execute(text("VACUUM ANALYZE"))
