"""The demo's content: names, products, the ticket scenarios and the phrases agents use.

Kept apart from the loader (`services/demo.py`) because it is data, and long: changing what the
demo says should not mean reading how it is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from servicedesk.domain.catalog import Channel, CustomerTier, TicketType
from servicedesk.domain.lifecycle import TicketStatus

TICKET_DAYS = 90
TIER1, TECH, COMPLAINTS, EMERGENCY = "客服一线", "技术支持", "投诉处理", "应急小组"

# --------------------------------------------------------------------------- customers

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
_GIVEN: dict[bool, tuple[tuple[str, ...], str]] = {  # male?: (two-character, one-character)
    True: (
        ("建华", "志强", "国庆", "梓轩", "思远", "俊杰", "文博", "晓东", "明辉", "宇航", "浩然",
         "振华", "天宇", "家豪", "子豪", "建国"),
        "伟强磊军洋勇杰涛明超刚浩宇斌鹏飞",
    ),
    False: (
        ("秀英", "桂英", "海燕", "丽华", "玉兰", "子涵", "一诺", "嘉怡", "雨桐", "佳琪", "晓燕",
         "春梅", "欣怡", "诗涵", "梦瑶", "美玲", "雅婷", "晨曦"),
        "芳娜敏静丽艳娟霞婷欣怡琳颖倩",
    ),
}  # fmt: skip
_COMPANIES = (
    "杭州云启网络科技有限公司", "深圳市恒信电子有限公司", "上海博远贸易有限公司",
    "北京智联创新科技有限公司", "成都天府数码连锁有限公司", "广州市悦达办公设备有限公司",
    "武汉长江教育科技有限公司", "南京金陵商务服务有限公司", "苏州优品供应链管理有限公司",
    "西安华科信息技术有限公司",
)  # fmt: skip
_MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "166", "176", "177", "180", "181", "182",
    "183", "185", "186", "187", "188", "189", "198", "199",
)  # fmt: skip
_MAIL_HOSTS = ("163.com", "126.com", "sina.com", "foxmail.com", "outlook.com", "gmail.com")
_HANDLES = (
    "sunny", "happy", "lucky", "leo", "amy", "coco", "river", "star", "moon", "tiger",
    "panda", "kevin", "vivian", "jack", "lily", "tony", "echo", "summer", "cloud", "xiaoyu",
)  # fmt: skip
# Region codes of the resident ID numbers (district level): Beijing, Shanghai, Shenzhen, …
_REGIONS = (
    "110101", "110105", "310115", "310104", "440305", "440106", "330106",
    "510107", "420106", "320102", "610113", "500103", "370202", "430104",
)  # fmt: skip


@dataclass
class _CustomerSpec:
    name: str
    male: bool
    email: str | None
    phone: str
    id_number: str | None
    tier: CustomerTier
    tags: list[str]
    created_at: datetime
    weight: float
    user_email: str | None = None


# --------------------------------------------------------------------------- ticket texts


@dataclass(frozen=True)
class _Product:
    name: str
    price: int
    kind: str  # audio, wearable, phone, tablet, home, power, keyboard


PRODUCTS = (
    _Product("无线降噪耳机 Pro", 899, "audio"),
    _Product("真无线蓝牙耳机 Air2", 399, "audio"),
    _Product("蓝牙音箱 Mini", 299, "audio"),
    _Product("智能手表 S3", 1299, "wearable"),
    _Product("智能手环 6", 249, "wearable"),
    _Product("X20 智能手机", 3999, "phone"),
    _Product("11英寸平板电脑 Pad", 2499, "tablet"),
    _Product("扫地机器人 R5", 2299, "home"),
    _Product("65W 氮化镓快充充电器", 149, "power"),
    _Product("20000mAh 移动电源", 199, "power"),
    _Product("机械键盘 K8", 459, "keyboard"),
)
_COURIERS = ("顺丰速运", "京东物流", "中通快递", "圆通速递", "韵达快递")
_CITIES = ("上海", "广州", "武汉", "郑州", "杭州", "成都", "北京", "西安")
_COLORS = ("星空灰", "月光白", "薄荷绿", "远峰蓝")


@dataclass(frozen=True)
class _Scenario:
    type: TicketType
    team: str
    subject: str
    body: str
    fix: str
    tags: tuple[str, ...]
    kinds: tuple[str, ...] = ()  # product kinds that fit; empty = any
    note: str | None = None
    urgent: bool = False  # leans to high priority
    weight: int = 2


_T = TicketType
SCENARIOS: tuple[_Scenario, ...] = (
    # 咨询问题 -------------------------------------------------------------------------
    _Scenario(
        _T.CONSULTATION,
        TIER1,
        "订单{order}还没发货",
        "你好，我{days}天前下的订单{order}，买的{product}，到现在还显示待发货，什么时候能发？着急用。",
        "您好，订单{order}已于今天上午由{courier}发出，运单号{tracking}，预计2-3天送达，请留意查收。"
        "给您带来不便非常抱歉！",
        ("物流", "催发货"),
        note="已联系仓库加急，仓库反馈该颜色刚补货，今天优先出库。",
        weight=4,
    ),
    _Scenario(
        _T.CONSULTATION,
        TIER1,
        "物流信息三天没更新了",
        "订单{order}的物流信息从三天前就一直停在{city}转运中心，没有任何更新，是不是丢件了？",
        "您好，已联系{courier}核实，包裹因{city}中转站积压延误，目前已恢复派送，运单号{tracking}，"
        "预计明天送达。如仍未收到，我们将第一时间为您补发。",
        ("物流",),
        note="已向{courier}提交催件工单，对方承诺24小时内回复。",
        weight=4,
    ),
    _Scenario(
        _T.CONSULTATION,
        TIER1,
        "退款三天了还没到账",
        "我{days}天前申请了退款，订单{order}，金额{amount}元，系统显示退款成功，但是银行卡一直没收到钱。",
        "您好，经核实，退款{amount}元已原路退回，银行处理通常需要1-5个工作日，请留意到账通知。"
        "如超过5个工作日仍未到账，请提供银行流水截图，我们帮您追查。",
        ("退款",),
        note="财务部确认退款已出账，银行流水号已记录在财务系统。",
        weight=4,
    ),
    _Scenario(
        _T.CONSULTATION,
        TIER1,
        "发票抬头开错了",
        "订单{order}的电子发票抬头开成了个人，我需要开公司抬头，税号已经在备注里写了，能重新开吗？",
        "您好，已为您作废原发票，并按公司抬头重新开具增值税电子普通发票，已发送到您的邮箱，请查收。",
        ("发票",),
        note="已提交财务部红冲原发票，新发票已开具。",
        weight=3,
    ),
    _Scenario(
        _T.CONSULTATION,
        TIER1,
        "咨询能否开增值税专用发票",
        "我们是企业采购，想问一下买{product}能不能开增值税专用发票？需要提供哪些资料？",
        "您好，可以开具增值税专用发票。请在订单详情页选择“申请专票”，上传营业执照、开户行及账号、"
        "纳税人识别号等信息，审核通过后3个工作日内寄出。",
        ("发票", "企业采购"),
    ),
    _Scenario(
        _T.CONSULTATION,
        TIER1,
        "能不能修改收货地址",
        "刚下的订单{order}收货地址填错了，还没发货，能帮我改一下吗？新地址已经在订单备注里写了。",
        "您好，已为您修改订单{order}的收货地址，请在订单详情中核对，如有问题随时联系我们。",
        ("物流", "订单修改"),
    ),
    _Scenario(
        _T.CONSULTATION,
        TIER1,
        "以旧换新活动怎么参加",
        "看到{product}有以旧换新活动，旧设备怎么估价？可以和优惠券一起用吗？",
        "您好，以旧换新可在App“以旧换新”页面在线估价，估价金额直接抵扣新机价款，"
        "可以与店铺优惠券叠加使用，但不能与其他满减活动同享。",
        ("活动咨询",),
        kinds=("phone", "tablet", "wearable"),
    ),
    _Scenario(
        _T.CONSULTATION,
        TIER1,
        "买完就降价了能申请价保吗",
        "我{days}天前买的{product}，今天降价了{drop}元，可以申请价保吗？订单号{order}。",
        "您好，您的订单在15天价保期内，已为您提交价保申请，差价{drop}元将在1-3个工作日内退回原支付账户。",
        ("价保", "退款"),
    ),
    # 产品质量 -------------------------------------------------------------------------
    _Scenario(
        _T.PRODUCT_QUALITY,
        TIER1,
        "耳机左耳没有声音",
        "买的{product}用了不到一个月，左耳突然没有声音了，重新配对、恢复出厂都试过了，订单号{order}。",
        "您好，经检测确认为左耳发声单元故障，属于保修范围，已为您免费换新，新耳机已由{courier}寄出，"
        "运单号{tracking}。",
        ("硬件故障", "售后"),
        kinds=("audio",),
        note="寄回件检测报告：左耳喇叭单元损坏，非人为损坏，符合换新条件。",
        weight=4,
    ),
    _Scenario(
        _T.PRODUCT_QUALITY,
        TIER1,
        "屏幕出现一条亮线",
        "{product}屏幕中间出现一条竖着的亮线，没有摔过也没有进水，还在保修期内，怎么处理？",
        "您好，已为您开通上门取件，检测确认为屏幕排线故障，维修完成后将免费寄回，预计5个工作日。",
        ("硬件故障", "售后", "维修"),
        kinds=("phone", "tablet", "wearable"),
        note="已安排{courier}上门取件，维修中心工单已建。",
        weight=3,
    ),
    _Scenario(
        _T.PRODUCT_QUALITY,
        TIER1,
        "收到的商品外包装破损有划痕",
        "今天收到{product}，外箱被压坏了，机身边角有明显划痕，这还算新机吗？要求换货。",
        "您好，非常抱歉让您收到有瑕疵的商品！已为您办理换货，新机今天发出，运单号{tracking}，"
        "旧机请在收到新机时交给快递员带回即可。",
        ("物流", "换货"),
        note="已向{courier}发起破损理赔。",
    ),
    _Scenario(
        _T.PRODUCT_QUALITY,
        TIER1,
        "充电时发烫严重，担心安全",
        "{product}充电的时候特别烫手，闻着还有点焦味，有点担心安全问题，是不是质量有问题？",
        "您好，出于安全考虑请您立即停止使用。已为您办理退货退款并安排上门取件，退款{amount}元将在"
        "收到退货后原路退回。",
        ("硬件故障", "安全隐患", "退款"),
        kinds=("power",),
        note="涉及安全隐患，已上报质量部门，批次号已记录。",
        urgent=True,
    ),
    _Scenario(
        _T.PRODUCT_QUALITY,
        TECH,
        "续航严重缩水，一天就没电",
        "{product}刚买的时候能用一周，现在一天就没电了，后台也没开什么应用，是电池坏了吗？",
        "您好，检测发现设备电池健康度仅剩62%，已为您免费更换电池，设备已寄回，运单号{tracking}。",
        ("硬件故障", "电池"),
        kinds=("wearable", "phone", "tablet"),
        note="后台日志显示异常耗电来自电池本身，非软件问题。",
    ),
    _Scenario(
        _T.PRODUCT_QUALITY,
        TIER1,
        "收到的颜色和下单的不一样",
        "我下单的是{color}的{product}，收到的是黑色的，订单号{order}，麻烦处理一下。",
        "您好，非常抱歉仓库发错了颜色！已为您补发{color}款，运单号{tracking}，发错的商品请在"
        "收到后7天内寄回，运费由我们承担。",
        ("发错货", "换货"),
        note="仓库拣货错误，已反馈物流部整改。",
    ),
    # 技术问题 -------------------------------------------------------------------------
    _Scenario(
        _T.TECHNICAL,
        TECH,
        "手表升级后连不上手机蓝牙",
        "{product}升级固件之后就连不上手机蓝牙了，重启、删除配对都试过了，还是搜不到设备。",
        "您好，这是新版固件与部分安卓机型的兼容问题。请在App中将固件升级到最新的补丁版本，"
        "然后在手机蓝牙设置中忽略设备后重新配对即可。",
        ("技术", "蓝牙", "固件"),
        kinds=("wearable",),
        weight=3,
    ),
    _Scenario(
        _T.TECHNICAL,
        TECH,
        "App登录一直提示验证码错误",
        "手机号登录App的时候一直提示验证码错误，短信收到的验证码明明是对的，试了很多次都不行。",
        "您好，已排查到是您账户触发了异常登录保护，现已为您解除，请清除App缓存后重新登录。",
        ("账户", "技术", "登录"),
        note="风控系统误判，已提交研发优化规则。",
    ),
    _Scenario(
        _T.TECHNICAL,
        TECH,
        "扫地机器人连不上家里WiFi",
        "扫地机器人R5配网一直失败，提示“设备连接超时”，家里的WiFi是双频的。",
        "您好，R5目前只支持2.4GHz网络。请在路由器中把2.4G和5G分开命名，手机连接2.4G网络后重新配网即可。",
        ("技术", "联网"),
        kinds=("home",),
    ),
    _Scenario(
        _T.TECHNICAL,
        TECH,
        "固件升级失败，开不了机",
        "{product}升级固件升到一半提示失败，现在开不了机，一直卡在开机画面，急用！",
        "您好，已远程指导您通过恢复模式重新刷入固件，设备已恢复正常，数据未丢失。",
        ("技术", "固件"),
        kinds=("phone", "tablet", "wearable"),
        urgent=True,
        note="同批次固件有升级失败反馈，已同步研发排查。",
    ),
    _Scenario(
        _T.TECHNICAL,
        TECH,
        "账户被盗，出现陌生订单",
        "收到异地登录提醒，账户里还多了一笔我没下过的订单{order}，是不是被盗号了？",
        "您好，已为您冻结可疑订单并拦截发货，账户已强制下线所有设备，请尽快修改密码并开启两步验证。",
        ("账户", "安全"),
        urgent=True,
        note="可疑订单已拦截，登录IP已提交安全团队。",
    ),
    _Scenario(
        _T.TECHNICAL,
        TECH,
        "平板电脑频繁死机重启",
        "{product}最近一天要死机好几次，用着用着就自动重启，已经恢复过出厂设置了。",
        "您好，日志分析显示是某个第三方应用导致系统崩溃，已指导您卸载该应用并升级系统，请观察两天。",
        ("技术", "系统"),
        kinds=("tablet", "phone"),
    ),
    _Scenario(
        _T.TECHNICAL,
        TECH,
        "机械键盘部分按键失灵",
        "{product}的空格和回车键有时候按了没反应，换了电脑也一样，驱动也重装过。",
        "您好，请按照说明书长按Fn+Esc恢复出厂设置并更新键盘固件；如仍失灵，我们为您免费换新。",
        ("技术", "硬件故障"),
        kinds=("keyboard",),
    ),
    # 服务质量 -------------------------------------------------------------------------
    _Scenario(
        _T.SERVICE_QUALITY,
        COMPLAINTS,
        "客服态度很差要投诉",
        "昨天打电话咨询退货，客服态度非常差，说话不耐烦还直接挂了我电话，要求给个说法！",
        "您好，非常抱歉给您带来了不愉快的体验！经调取录音核实，当班客服确有服务不当，已进行批评教育，"
        "并为您的账户补偿50元无门槛优惠券。",
        ("投诉", "服务态度"),
        urgent=True,
        note="已调取通话录音，确认服务用语不规范，已通报班组长。",
        weight=3,
    ),
    _Scenario(
        _T.SERVICE_QUALITY,
        COMPLAINTS,
        "快递没送到就显示签收",
        "订单{order}显示已经签收了，但我根本没收到，快递员也没打电话，太不负责了！",
        "您好，已与{courier}核实，包裹被误放在小区快递柜，取件码已短信发送给您。对快递员的违规操作"
        "已向{courier}投诉处理。",
        ("投诉", "物流"),
        note="{courier}网点承认未按约定送货上门，已扣罚。",
    ),
    _Scenario(
        _T.SERVICE_QUALITY,
        COMPLAINTS,
        "承诺的售后回电一直没人联系",
        "上周说48小时内给我回电话处理换货，到现在也没人联系我，这已经是我第三次来问了！",
        "您好，非常抱歉让您反复联系！您的换货已由专人负责，新机今天发出，运单号{tracking}，"
        "后续进度我会每天主动向您同步。",
        ("投诉", "售后"),
        urgent=True,
        note="前次工单遗漏回访，已加入重点跟进名单。",
    ),
    _Scenario(
        _T.SERVICE_QUALITY,
        COMPLAINTS,
        "七天无理由退货被拒绝",
        "{product}七天无理由退货，包装配件都在，审核却说影响二次销售被拒绝了，太不合理了。",
        "您好，经复核，您的商品符合七天无理由退货条件，之前的审核有误，已为您重新通过，"
        "退款{amount}元将在收到退货后原路退回。",
        ("投诉", "退款", "退货"),
    ),
    # 其他 -----------------------------------------------------------------------------
    _Scenario(
        _T.OTHER,
        TIER1,
        "想咨询批量采购和渠道合作",
        "我们是一家连锁门店，想咨询{product}的批量采购和渠道合作政策，请问应该联系谁？",
        "您好，已将您的需求转给大客户部，商务经理会在1个工作日内与您电话联系，请保持电话畅通。",
        ("商务合作",),
    ),
    _Scenario(
        _T.OTHER,
        TIER1,
        "建议App增加分期免息",
        "建议App增加更多分期付款方式，比如信用卡12期免息，大件商品会更方便。",
        "您好，感谢您的宝贵建议！已记录并反馈给产品团队，后续有新的分期活动会在App首页公告。",
        ("建议",),
        weight=1,
    ),
    _Scenario(
        _T.OTHER,
        TIER1,
        "会员积分一直没到账",
        "上个月买的{product}，订单号{order}，说好的会员积分到现在还没加上。",
        "您好，经查是积分系统同步延迟，已为您手动补发积分，请在“我的-会员中心”查看。",
        ("会员", "账户"),
    ),
    _Scenario(
        _T.OTHER,
        TIER1,
        "怎么注销账户",
        "我想注销账户，请问需要怎么操作？注销之后我的个人信息会被删除吗？",
        "您好，可在App“设置-账户与安全-注销账户”中申请，注销后您的个人信息将在15个工作日内删除，"
        "订单记录按法律要求保存。",
        ("账户", "隐私"),
        weight=1,
    ),
)

_ACKS: dict[TicketType, tuple[str, ...]] = {
    _T.TECHNICAL: (
        "您好，我是技术支持工程师{agent}。麻烦您先将设备和App都更新到最新版本，重启后再试一次；"
        "如果问题依旧，请告诉我设备序列号和App版本号。",
        "您好{name}，我是技术支持{agent}，您反馈的问题已收到，正在查看设备日志，请稍候。",
    ),
    _T.SERVICE_QUALITY: (
        "您好{name}，非常抱歉给您带来了不好的体验，我是投诉专员{agent}。您反映的情况我们非常重视，"
        "正在调查核实，会在24小时内给您答复。",
        "您好，{name}，对您的遭遇我们深表歉意。我是{agent}，将全程负责跟进，请您放心。",
    ),
}
_GENERIC_ACKS = (
    "您好{name}，我是客服{agent}，很高兴为您服务。您反馈的问题已收到，正在为您核实，请稍候。",
    "您好，非常抱歉给您带来不便！关于您反馈的问题，我这边已经记录，马上为您跟进处理。",
    "{name}您好，感谢您的耐心等待。已收到您的反馈，我们会尽快处理并第一时间回复您。",
)
# Asking the customer for something (the case goes pending) and, from the help-center
# customer, the answer to it.
_ASK_ANY = (
    (
        "您好，已为您提交申请，还需要您确认一下收货地址和联系电话是否有变化，回复后马上处理。",
        "地址和电话都没变，麻烦快一点，谢谢！",
    ),
    (
        "您好，为了尽快帮您核实，麻烦提供一下付款记录的截图，收到后立刻为您处理。",
        "截图已经上传了，麻烦看一下。",
    ),
)
_ASK_DEVICE = (
    (
        "您好，为了尽快帮您处理，麻烦提供一下问题部位的照片或视频，收到后立刻为您安排。",
        "好的，照片已经上传了，麻烦尽快处理，谢谢。",
    ),
    (
        "您好，请问方便提供设备的序列号吗（在包装盒上或“设置-关于本机”中）？我们需要核实保修状态。",
        "序列号是在包装盒背面找到的，已经拍照上传了。",
    ),
    (
        "您好，麻烦按照上面的步骤操作一遍，再告诉我们结果，我们好判断下一步怎么处理。",
        "试过了还是不行，还有别的办法吗？",
    ),
)
_TITLE = {True: "先生", False: "女士"}
_GENERIC_NOTES = (
    "客户情绪比较激动，已安抚，后续回复注意措辞。",
    "已与二线技术确认处理方案。",
    "已同步主管，等待审批补偿方案。",
    "客户要求电话回访，已登记。",
)
_VIP_NOTE = "{tier}客户，按优先处理规范跟进。"
_WORKING = "您好，您的问题仍在处理中，相关部门已在加急核实，有进展会第一时间通知您，感谢理解。"
_CLOSING = "如还有其他问题，欢迎随时联系我们，祝您生活愉快！"
_REOPEN_NOTE = "客户来电反馈问题仍未解决，重新打开工单继续跟进。"
_REOPEN_FIX = "您好，非常抱歉问题反复给您添了麻烦！已为您升级处理，本次已彻底解决，我们会在三天后回访。"
_TRANSFER_REASON = "需要二线技术支持进一步排查"
_ESCALATE_REASON = "客户多次催促，升级为高优先级"

_CHANNELS: dict[Channel, int] = {
    Channel.WEB_CHAT: 25, Channel.WECHAT: 20, Channel.PHONE: 15, Channel.EMAIL: 12,
    Channel.WEB_FORM: 12, Channel.DOUYIN: 6, Channel.WEIBO: 5, Channel.API: 5,
}  # fmt: skip
_S = TicketStatus
_STATUS_BY_AGE: tuple[tuple[timedelta, dict[TicketStatus, float]], ...] = (
    # (older than, weights): most old cases are closed; the backlog is recent.
    (timedelta(days=30), {_S.CLOSED: 80, _S.RESOLVED: 19, _S.PENDING: 0.5, _S.OPEN: 0.5}),
    (timedelta(days=14), {_S.CLOSED: 62, _S.RESOLVED: 32, _S.PENDING: 3, _S.OPEN: 3}),
    (timedelta(days=3), {_S.CLOSED: 30, _S.RESOLVED: 35, _S.PENDING: 13, _S.OPEN: 15, _S.NEW: 7}),
    (timedelta(0), {_S.NEW: 30, _S.OPEN: 30, _S.PENDING: 15, _S.RESOLVED: 20, _S.CLOSED: 5}),
)
# Ticket volume by days ago (up to 87, so every case is inside the 90 days): growing lately.
_DAY_WEIGHTS = tuple(1.6 - d / 110 for d in range(TICKET_DAYS - 2))
_HOUR_WEIGHTS = (  # Beijing time, 0–23 h
    1, 1, 0, 0, 0, 0, 1, 2, 5, 9, 10, 10, 8, 8, 10, 10, 9, 8, 7, 8, 9, 8, 5, 3,
)  # fmt: skip

# --------------------------------------------------------------------------- the plan
