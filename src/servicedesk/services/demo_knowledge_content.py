"""The demo shop's knowledge: articles, scripts and the Chinese e-commerce intents (issue 4).

Written for this project. The intents' examples are how customers of a web shop ask; they are
deliberately different sentences from the scripted conversations `servicedesk eval` measures
the bot on (nlp/data/selfservice.jsonl), so that figure is not a memory test.

The shop's standard answers have English versions (`ENGLISH`, loaded as translations of the
Chinese articles); the three product guides stay Chinese-only, as product documentation often
is, so the demo shows both an English answer and the bot saying plainly that one exists only
in Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from servicedesk.domain.assistant import Urgency
from servicedesk.domain.catalog import Channel, TicketType
from servicedesk.domain.knowledge import ScriptScenario


@dataclass(frozen=True)
class ArticleSpec:
    key: str
    title: str
    body: str
    questions: tuple[str, ...]
    tags: tuple[str, ...] = ()
    product: str | None = None
    product_version: str | None = None


@dataclass(frozen=True)
class EnglishVersion:
    """An article's English version: title, answer and the English ways customers ask."""

    title: str
    body: str
    questions: tuple[str, ...]


@dataclass(frozen=True)
class ScriptSpec:
    scenario: ScriptScenario
    title: str
    body: str
    compliance_note: str = ""
    channel: Channel | None = None
    locale: str = "zh"


@dataclass(frozen=True)
class IntentSpec:
    name: str
    label_zh: str
    label_en: str
    examples: tuple[str, ...]
    article: str | None = None  # ArticleSpec.key
    answer: str = ""
    answer_en: str = ""
    connector: str | None = None
    slots: tuple[str, ...] = ()
    handoff: bool = False
    ticket_type: TicketType | None = None
    urgency: Urgency = Urgency.NORMAL
    script: ScriptScenario | None = None
    extra: dict[str, str] = field(default_factory=dict)


ARTICLES: tuple[ArticleSpec, ...] = (
    ArticleSpec(
        "returns",
        "退换货政策",
        "自签收之日起 7 天内，商品完好、配件齐全可申请七天无理由退货；15 天内出现性能故障可申请换货。"
        "申请路径：我的订单 → 选择订单 → 申请售后，填写原因并上传照片，审核通过后按页面地址寄回。"
        "质量问题的运费由我们承担；无理由退货的运费由您承担（已购运费险的可申请理赔）。"
        "定制商品、已激活的软件和虚拟商品不支持无理由退货。",
        (
            "东西不想要了可以退吗",
            "七天无理由怎么申请",
            "买的耳机有问题能换一个吗",
            "退货运费谁出",
            "how do I return an item",
            "can I exchange a faulty product",
        ),
        ("售后", "退货", "换货"),
    ),
    ArticleSpec(
        "refund_time",
        "退款多久到账",
        "退货商品签收并检验通过后，我们会在 1 个工作日内发起退款。原路退回的到账时间：支付宝、微信支付 "
        "1–3 个工作日，银行卡 3–7 个工作日，信用卡以银行入账为准。您可以在 我的订单 → 售后详情 查看退款进度。",
        ("退款什么时候到账", "钱退到哪里了", "退款一直没收到", "when will I get my refund"),
        ("退款",),
    ),
    ArticleSpec(
        "invoice",
        "如何开具发票",
        "下单时可选择电子普通发票或增值税专用发票。已下单未开票的，可在 我的订单 → 申请开票 补开，"
        "需填写抬头和纳税人识别号；电子发票会在订单完成后 24 小时内发送到您的邮箱。"
        "专用发票需上传一般纳税人证明，审核后 5 个工作日内寄出。",
        ("怎么开发票", "能开专票吗", "发票抬头写错了", "电子发票在哪里下载", "how do I get an invoice"),
        ("发票",),
    ),
    ArticleSpec(
        "change_address",
        "修改收货地址",
        "订单发货前可以自行修改地址：我的订单 → 订单详情 → 修改地址。已发货的订单无法直接修改，"
        "请联系快递改派或拒收后重新下单；需要我们协助的，请回复订单号并转人工客服。",
        ("收货地址填错了", "下单后能改地址吗", "我搬家了想换个地址收货", "change my delivery address"),
        ("物流", "订单"),
    ),
    ArticleSpec(
        "shipping_problem",
        "物流异常怎么办",
        "物流信息超过 48 小时未更新、显示已签收但未收到、或包裹破损的，请先在 订单详情 查看快递单号并联系"
        "承运快递核实；如需我们介入，请提供订单号和包裹照片，我们会在 24 小时内与快递公司核实并给出处理方案"
        "（补发或退款）。",
        (
            "快递好几天不动了",
            "显示签收了但是没收到",
            "包裹破了",
            "物流一直没有更新",
            "my package is lost",
            "tracking has not updated",
        ),
        ("物流", "快递"),
    ),
    ArticleSpec(
        "delivery_time",
        "发货与配送时间",
        "现货商品在付款后 24 小时内发货（预售商品以页面日期为准），江浙沪一般次日达，其他地区 2–4 天，"
        "偏远地区 5–7 天。大促期间发货可能延迟 1–2 天。",
        ("什么时候发货", "多久能到", "下单后几天能收到", "how long does delivery take"),
        ("物流",),
    ),
    ArticleSpec(
        "warranty",
        "保修政策",
        "手机、平板、耳机等数码产品享受一年全国联保，电池六个月；人为损坏、进水不在保修范围。"
        "保修期内凭订单号到官方售后网点或寄修，寄修运费由我们承担。",
        ("保修多久", "耳机坏了在保修期吗", "手机进水能保修吗", "what does the warranty cover"),
        ("售后", "保修"),
        product="星辰手机 X5",
        product_version="2.0",
    ),
    ArticleSpec(
        "x5_battery",
        "星辰手机 X5 续航与省电设置",
        "星辰手机 X5 电池容量 5000mAh。若续航明显下降，请升级到最新系统版本，在 设置 → 电池 中开启"
        "智能省电，并检查是否有应用在后台频繁唤醒。电池健康低于 80% 可在保修期内免费更换。",
        ("手机耗电太快", "X5 续航不行", "电池不耐用怎么办", "phone battery drains fast"),
        ("产品功能",),
        product="星辰手机 X5",
        product_version="2.0",
    ),
    ArticleSpec(
        "earbuds_pairing",
        "蓝牙耳机配对方法",
        "打开充电盒盖，长按盒上按键 3 秒至指示灯白色闪烁，在手机蓝牙列表中选择耳机名称即可配对。"
        "若连接失败，请在手机上“忽略此设备”后重试，或将耳机放回盒中长按 10 秒恢复出厂设置。",
        ("耳机连不上手机", "蓝牙耳机怎么配对", "耳机只有一边有声音", "how to pair the earbuds"),
        ("产品功能", "耳机"),
        product="声悦耳机 Pro",
        product_version="1.3",
    ),
    ArticleSpec(
        "coupon",
        "优惠券使用规则",
        "优惠券在结算页自动匹配，满足门槛即可使用，每笔订单限用一张店铺券和一张平台券。"
        "退款时已使用的优惠券按规则退回（过期券不退回）。",
        ("优惠券怎么用不了", "优惠券能叠加吗", "退货后优惠券还能用吗", "how do coupons work"),
        ("优惠",),
    ),
    ArticleSpec(
        "price_protection",
        "价格保护",
        "签收后 7 天内商品降价，可在 我的订单 → 价格保护 申请补差价，差价以优惠券或原路退回。"
        "秒杀、拼团和使用了限时优惠的订单不参与价保。",
        ("买完就降价了", "能补差价吗", "价保怎么申请", "the price dropped after I bought it"),
        ("优惠",),
    ),
    ArticleSpec(
        "account",
        "账号与密码",
        "忘记密码可在登录页点击“忘记密码”，通过绑定手机号验证后重设。更换绑定手机号需验证原手机号；"
        "原手机号已停用的，请转人工客服并准备身份证明。",
        ("忘记密码了", "登录不上", "怎么换绑手机号", "I forgot my password"),
        ("账号",),
    ),
    ArticleSpec(
        "payment",
        "支付方式与付款失败",
        "支持支付宝、微信支付、银联卡和花呗分期。付款失败请检查余额和支付限额，或更换支付方式；"
        "已扣款但订单显示未付款的，款项会在 24 小时内自动退回。",
        ("付款失败怎么办", "扣了钱订单还是未付款", "可以分期吗", "payment failed"),
        ("支付",),
    ),
    ArticleSpec(
        "cancel_order",
        "取消订单",
        "未发货的订单可在 订单详情 点击“取消订单”，款项原路退回；已发货的订单请在签收后申请退货，"
        "或直接拒收。",
        ("我不想要了能取消订单吗", "怎么取消订单", "下错单了", "cancel my order"),
        ("订单",),
    ),
)

SCRIPTS: tuple[ScriptSpec, ...] = (
    ScriptSpec(
        ScriptScenario.WELCOME,
        "网页在线客服欢迎语",
        "您好{customer_name}，我是智能客服{bot_name}，很高兴为您服务！您可以直接描述问题，例如“我的订单到哪了”"
        "“怎么开发票”；需要人工服务请回复“转人工”。人工客服在线时间：每天 {service_hours}。",
        channel=Channel.WEB_CHAT,
    ),
    ScriptSpec(
        ScriptScenario.WELCOME,
        "微信公众号关注欢迎语",
        "感谢关注！我是智能客服{bot_name}，直接发送您的问题即可，例如发送订单号查询物流；回复“转人工”联系人工客服"
        "（每天 {service_hours}）。",
        channel=Channel.WECHAT,
    ),
    ScriptSpec(
        ScriptScenario.WELCOME,
        "通用欢迎语",
        "您好，我是智能客服{bot_name}，请问有什么可以帮您？人工客服在线时间：每天 {service_hours}。",
    ),
    ScriptSpec(
        ScriptScenario.WELCOME,
        "Welcome (English)",
        'Hello{customer_name}, I\'m {bot_name}, the virtual assistant. Ask me anything, or type "agent" '
        "to reach a person (daily {service_hours}).",
        locale="en",
    ),
    ScriptSpec(
        ScriptScenario.GREETING,
        "人工接入问候",
        "您好{customer_name}，我是客服{agent_name}，已经看到您和智能客服的对话记录，接下来由我为您处理。",
        "先表明身份，确认已了解前情，避免让客户重复描述。",
    ),
    ScriptSpec(
        ScriptScenario.APOLOGY,
        "致歉",
        "非常抱歉给您带来不便，{customer_name}。我们已经记录了您的问题，会在 {deadline} 前给您明确答复。",
        "承诺的时限必须在授权范围内，不得承诺无法兑现的结果。",
    ),
    ScriptSpec(
        ScriptScenario.REFUND,
        "退款说明",
        "您的订单 {order_no} 退款 {amount} 元已经发起，将原路退回，预计 1–3 个工作日到账。",
        "退款金额超过 500 元需主管审批后再告知客户（R-HD-6）。",
    ),
    ScriptSpec(
        ScriptScenario.DISPUTE,
        "争议处理",
        "{customer_name}，理解您的心情。为了公平处理，请您提供订单号 {order_no} 的商品照片或视频，"
        "我们会在 24 小时内核实并给出方案。",
        "不评价客户对错，不推诿给第三方；涉及赔偿按授权上限执行。",
    ),
    ScriptSpec(
        ScriptScenario.TRANSFER,
        "转接说明",
        "为了更专业地解决您的问题，我将为您转接{team}的同事，对方会在 {minutes} 分钟内联系您，您无需重复描述。",
    ),
    ScriptSpec(
        ScriptScenario.CLOSING,
        "结束语",
        "感谢您的耐心，{customer_name}！问题已处理完毕，稍后可能会邀请您对本次服务评分，祝您生活愉快。",
        "结束前确认客户没有其他问题。",
    ),
)

ORDER_ANSWER = (
    "您的订单 {order_no}（{items}）当前状态：{status}。承运快递：{carrier}，运单号：{tracking_no}，"
    "预计送达：{eta}。"
)
ORDER_ANSWER_EN = (
    "Your order {order_no} ({items}) is {status}. Carrier: {carrier}, tracking number: {tracking_no}, "
    "expected delivery: {eta}."
)

INTENTS: tuple[IntentSpec, ...] = (
    IntentSpec(
        "order_status",
        "查询订单进度",
        "Order status",
        (
            "我的订单到哪了",
            "帮我查一下订单",
            "订单什么时候到",
            "查下物流",
            "我买的东西发货了吗",
            "看看我的快递到哪了",
            "订单状态查询",
            "我的包裹现在在哪",
            "订单 2024112200123 到哪里了",
            "查询订单进度",
            "快递到哪儿了",
            "我的货怎么还没到",
            "where is my order",
            "track my order",
            "has my order shipped",
            "order status please",
        ),
        answer=ORDER_ANSWER,
        answer_en=ORDER_ANSWER_EN,
        connector="orders",
        slots=("order_no",),
    ),
    IntentSpec(
        "return_policy",
        "退换货政策",
        "Returns and exchanges",
        (
            "我要退货",
            "怎么退货",
            "可以换货吗",
            "退换货政策是什么",
            "商品不满意能退吗",
            "七天无理由退货",
            "买错了型号想换",
            "收到的东西有质量问题要换",
            "退货流程",
            "退货要自己出运费吗",
            "I want to return this",
            "return policy",
            "can I exchange it",
        ),
        article="returns",
    ),
    IntentSpec(
        "refund_progress",
        "退款进度",
        "Refund status",
        (
            "退款到哪了",
            "退款怎么还没到账",
            "我的退款多久能收到",
            "退款进度查询",
            "钱什么时候退给我",
            "申请退款好几天了",
            "退款状态",
            "退的钱到哪里了",
            "where is my refund",
            "refund not received",
        ),
        article="refund_time",
    ),
    IntentSpec(
        "invoice",
        "发票",
        "Invoice",
        (
            "我要开发票",
            "发票怎么开",
            "能开增值税专用发票吗",
            "补开发票",
            "发票抬头怎么改",
            "电子发票在哪",
            "开票",
            "需要公司抬头的发票",
            "I need an invoice",
            "how to get a VAT invoice",
        ),
        article="invoice",
    ),
    IntentSpec(
        "change_address",
        "修改地址",
        "Change address",
        (
            "修改收货地址",
            "地址写错了",
            "怎么改地址",
            "换个收货地址",
            "能改配送地址吗",
            "收货人电话填错了",
            "地址要改一下",
            "change the shipping address",
            "wrong address on my order",
        ),
        article="change_address",
    ),
    IntentSpec(
        "shipping_problem",
        "物流异常",
        "Delivery problem",
        (
            "快递一直不更新",
            "物流卡住了",
            "包裹丢了",
            "显示签收但我没收到",
            "快递员没送货",
            "包裹被压坏了",
            "物流信息好几天没动",
            "快递被别人签收了",
            "package lost",
            "delivery is stuck",
        ),
        article="shipping_problem",
    ),
    IntentSpec(
        "product_question",
        "产品功能咨询",
        "Product question",
        (
            "耳机怎么连接手机",
            "手机续航怎么样",
            "这个支持快充吗",
            "耳机怎么配对",
            "手机耗电快怎么办",
            "怎么设置省电模式",
            "产品怎么使用",
            "这款手机保修多久",
            "手机进水了还能保修吗",
            "电池不耐用",
            "how do I pair the earbuds",
            "battery life question",
            "is this covered by warranty",
        ),
    ),  # no fixed article: the knowledge base is searched for the product's own article
    IntentSpec(
        "coupon_price",
        "优惠与价保",
        "Coupons and price protection",
        (
            "优惠券怎么用",
            "优惠券用不了",
            "优惠券能一起用吗",
            "买了就降价了",
            "可以补差价吗",
            "价保怎么申请",
            "满减活动怎么算",
            "为什么没有优惠",
            "coupon does not work",
            "the price dropped after I bought it",
        ),
    ),
    IntentSpec(
        "account",
        "账号与密码",
        "Account and password",
        (
            "忘记密码了",
            "登录不上账号",
            "怎么修改密码",
            "换绑手机号",
            "账号被锁了",
            "收不到验证码",
            "I forgot my password",
            "cannot log in",
        ),
        article="account",
    ),
    IntentSpec(
        "payment",
        "支付问题",
        "Payment",
        (
            "付款失败",
            "支付不成功",
            "扣款了订单没变",
            "能用花呗吗",
            "可以分期付款吗",
            "支持哪些支付方式",
            "重复扣款了",
            "payment failed",
            "can I pay in instalments",
        ),
        article="payment",
    ),
    IntentSpec(
        "cancel_order",
        "取消订单",
        "Cancel an order",
        (
            "取消订单",
            "我不想要了怎么取消",
            "订单能撤销吗",
            "下错单了要取消",
            "还没发货能取消吗",
            "cancel my order",
            "I ordered by mistake",
        ),
        article="cancel_order",
    ),
    IntentSpec(
        "delivery_time",
        "发货时间",
        "Delivery time",
        (
            "什么时候发货",
            "几天能到",
            "发货要多久",
            "今天下单明天能到吗",
            "偏远地区多久到",
            "预售什么时候发",
            "how long is shipping",
            "when will you ship",
        ),
        article="delivery_time",
    ),
    IntentSpec(
        "complaint",
        "投诉",
        "Complaint",
        (
            "我要投诉",
            "投诉你们的客服",
            "你们服务太差了",
            "我要找你们领导",
            "再不处理我就去12315",
            "对处理结果很不满意",
            "要投诉快递员",
            "你们这是欺骗消费者",
            "I want to file a complaint",
            "your service is terrible",
        ),
        handoff=True,
        ticket_type=TicketType.SERVICE_QUALITY,
        urgency=Urgency.URGENT,
    ),
    IntentSpec(
        "human_agent",
        "转人工",
        "Talk to a person",
        (
            "转人工",
            "人工客服",
            "我要人工服务",
            "找个真人",
            "不要机器人",
            "帮我转接客服",
            "有没有人工",
            "让客服跟我说",
            "talk to a human",
            "I want an agent",
            "real person please",
        ),
        handoff=True,
    ),
    IntentSpec(
        "greeting",
        "问候",
        "Greeting",
        ("你好", "在吗", "您好", "有人吗", "哈喽", "早上好", "hello", "hi there"),
        answer="您好，我是智能客服{bot_name}，请问有什么可以帮您？",
        answer_en="Hello, I'm {bot_name}, the virtual assistant. How can I help you?",
    ),
)

ENGLISH: dict[str, EnglishVersion] = {
    "returns": EnglishVersion(
        "Returns and exchanges",
        "Within 7 days of delivery you can return an item for any reason if it is undamaged and complete; "
        "within 15 days you can exchange it for a performance fault. To apply: My orders → choose the "
        "order → After-sales service, give the reason and upload photos; once approved, send it back to "
        "the address shown. We pay the shipping for quality problems; for a no-reason return you pay it "
        "(claim it back if you bought return-shipping insurance). Custom-made items, activated software "
        "and virtual goods cannot be returned without a reason.",
        ("how do I return an item", "can I exchange a faulty product", "who pays for return shipping"),
    ),
    "refund_time": EnglishVersion(
        "When will my refund arrive",
        "Once the returned item is received and checked, we issue the refund within 1 working day. It goes "
        "back the way you paid: Alipay and WeChat Pay in 1–3 working days, bank cards in 3–7 working days, "
        "credit cards when your bank posts it. Follow it under My orders → After-sales details.",
        ("when will I get my refund", "my refund has not arrived", "where is my refund"),
    ),
    "invoice": EnglishVersion(
        "Getting an invoice",
        "When ordering, choose an electronic standard invoice or a special VAT invoice. For an order "
        "without one, request it under My orders → Request invoice with the invoice title and taxpayer ID; "
        "electronic invoices reach your e-mail within 24 hours after the order completes. A special VAT "
        "invoice needs proof of general-taxpayer status and is posted within 5 working days of approval.",
        ("how do I get an invoice", "can I get a VAT invoice", "the invoice title is wrong"),
    ),
    "change_address": EnglishVersion(
        "Changing the delivery address",
        "Before the order ships you can change the address yourself: My orders → Order details → Change "
        "address. A shipped order cannot be changed directly: ask the courier to redirect it, or refuse it "
        "and order again. If you need our help, reply with the order number and ask for an agent.",
        (
            "change my delivery address",
            "I entered the wrong address",
            "can I change the address after ordering",
        ),
    ),
    "shipping_problem": EnglishVersion(
        "Problems with a delivery",
        "If tracking has not moved for 48 hours, shows delivered but nothing arrived, or the parcel is "
        "damaged, first check the tracking number in Order details and contact the courier. If you need us "
        "to step in, send the order number and photos of the parcel: within 24 hours we check with the "
        "courier and offer a solution (a replacement or a refund).",
        ("my package is lost", "tracking has not updated", "it says delivered but I did not get it"),
    ),
    "delivery_time": EnglishVersion(
        "Shipping and delivery times",
        "Items in stock ship within 24 hours of payment (pre-orders on the date shown on the page). "
        "Jiangsu, Zhejiang and Shanghai usually receive them the next day, other regions in 2–4 days, "
        "remote areas in 5–7 days. During big sales shipping may take 1–2 days longer.",
        ("how long does delivery take", "when will you ship", "how long is shipping"),
    ),
    "coupon": EnglishVersion(
        "Using coupons",
        "Coupons are matched automatically at checkout once the order reaches their threshold; one shop "
        "coupon and one platform coupon per order. When you get a refund, used coupons come back under "
        "the coupon rules (expired ones do not).",
        ("how do coupons work", "my coupon does not work", "can I use two coupons"),
    ),
    "price_protection": EnglishVersion(
        "Price protection",
        "If the price drops within 7 days of delivery, apply under My orders → Price protection for the "
        "difference, refunded as a coupon or the way you paid. Flash sales, group buys and orders with "
        "time-limited discounts are not covered.",
        ("the price dropped after I bought it", "can I get the difference back"),
    ),
    "account": EnglishVersion(
        "Account and password",
        "Forgot your password? Tap “Forgot password” on the sign-in page and reset it after verifying your "
        "linked mobile number. Changing the linked number requires the old one; if it is no longer in use, "
        "ask for an agent and have proof of identity ready.",
        ("I forgot my password", "I cannot log in", "change my phone number"),
    ),
    "payment": EnglishVersion(
        "Payment methods and failed payments",
        "We accept Alipay, WeChat Pay, UnionPay cards and Huabei instalments. If a payment fails, check "
        "your balance and payment limit or try another method. If you were charged but the order still "
        "shows unpaid, the money is returned automatically within 24 hours.",
        ("payment failed", "I was charged but the order is unpaid", "can I pay in instalments"),
    ),
    "cancel_order": EnglishVersion(
        "Cancelling an order",
        "An order that has not shipped can be cancelled in Order details → Cancel order, and the money goes "
        "back the way you paid. For a shipped order, apply for a return after delivery, or refuse the parcel.",
        ("cancel my order", "I ordered by mistake", "how do I cancel an order"),
    ),
}

ORDER_ITEMS = (
    ("星辰手机 X5 256G 曜石黑", "3299.00"), ("声悦耳机 Pro 白色", "899.00"), ("快充充电器 65W", "149.00"),
    ("星辰平板 S2 11英寸", "2499.00"), ("智能手表 W3 运动版", "1299.00"), ("手机壳 + 钢化膜套装", "59.00"),
)  # fmt: skip
ORDER_STATUSES = (
    "paid",
    "shipped",
    "in_transit",
    "in_transit",
    "delivered",
    "delivered",
    "returning",
    "refunded",
)
CARRIERS = ("顺丰速运", "京东物流", "中通快递", "圆通速递")
