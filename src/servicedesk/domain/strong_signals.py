"""The few things a customer can say that make a case high priority whatever a model thinks
(seed 002 §3.2, R-CL-2, R-BOT-5): danger to people, a failure that hits many customers, a legal
or media threat, money or an account in a stranger's hands, a product or service that cannot be
used at all.

They are explicit rules rather than model features because each one must hold on a sentence the
training set never saw ("充电宝冒烟了" is high the first time), and because the agent is shown
the words that fired and the rule's name. Safety is the only signal that makes a hand-off 特急;
the others make it 紧急. Patterns were chosen on the training and validation splits of
nlp/data/cases.jsonl, never on its test split (docs/benchmarks.md has what each one catches).

Patterns run on NFKC-folded, lower-cased text (full-width letters and punctuation from Chinese
input methods read as ASCII). Latin words are matched whole.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from servicedesk.domain.labels import register


class Signal(StrEnum):
    SAFETY = "safety"  # fire, smoke, electric shock, burns, injury, a child at risk, gas
    OUTAGE = "outage"  # many customers or a whole business at once
    LEGAL = "legal"  # lawyer, court, police, regulator, media exposure
    FRAUD = "fraud"  # money or an account taken by someone else
    UNUSABLE = "unusable"  # the product or service cannot be used at all


for _value, _zh, _en in [
    (Signal.SAFETY, "人身或财产安全风险", "Safety risk"),
    (Signal.OUTAGE, "大面积故障或业务停摆", "Outage or business stopped"),
    (Signal.LEGAL, "法律、监管或媒体曝光", "Legal, regulator or media threat"),
    (Signal.FRAUD, "资金或账户被盗用", "Money or account stolen"),
    (Signal.UNUSABLE, "完全无法使用", "Cannot be used at all"),
]:
    register(_value, _zh, _en)

CRITICAL_SIGNALS = frozenset({Signal.SAFETY})

_MANY = (
    r"所有(?:的)?(?:用户|人|客户|门店|收银台|顾客)|全部(?:用户|门店|收银台)|全国|全市|多地|各地|大面积|"
    r"全公司|整个(?:公司|部门|团队|财务部|客服团队|小区)|整栋楼|几千个|几万人|周围[^。！？!?\n]{0,4}都|"
    r"同事都|大家都|everyone|all users|all (?:of )?(?:our|us)|whole (?:team|company|office)|"
    r"entire (?:team|company|office|system|shipment|email system)"
)
_FAILS = (  # longer forms first: the agent reads the words that matched
    r"登录不了|登录不上|登不上|登不进|崩溃|崩了|挂了|宕机|瘫痪|停了|断了|打不开|连不上|进不去|用不了|"
    r"收不到|刷不了|点不了|无法\w{0,2}|不能\w{0,2}|失败|没网|没了|\w不了|down|outage|broken|"
    r"can'?t \w+|cannot \w+|errors?|blank|lost"
)
_WINDOW = r"[^。！？!?\n]"  # within one sentence

# one pattern per way of saying it; a pattern with groups spans a window, and its groups are the
# words shown ("全国" … "登录不了")
RULES: tuple[tuple[Signal, str], ...] = (
    (
        Signal.SAFETY,
        r"冒烟|冒白烟|冒黑烟|浓烟|起火|着火|失火|火苗|冒火花|火花|烧焦|烤焦|焦味|焦糊|烧黑|熏黑|烧化|融化|"
        r"熔化|爆炸|炸了",
    ),
    (Signal.SAFETY, r"漏电|触电|电到|麻麻的|短路|跳闸"),
    (Signal.SAFETY, r"烫伤|烧伤|烫起泡|烫红|受伤|摔伤|擦伤|骨折|住院|推倒|撞倒|摔倒|被卡在|被关在"),
    (Signal.SAFETY, r"鼓包|鼓起来|电池.{0,4}(?:发烫|发热|膨胀)"),
    (Signal.SAFETY, r"煤气味|燃气泄漏|煤气泄漏|漏气|漏油"),
    (
        Signal.SAFETY,
        rf"(孩子|小孩|宝宝|婴儿|儿童|老人){_WINDOW}{{0,12}}?"
        r"(差点\w{0,4}?(?:吞|掉下|摔|烫)|吞|窒息|掉下|卡住|摔|烫|危险|一个人)",
    ),
    (Signal.SAFETY, r"差点(?:吞|掉下|摔|烧|着火|就转)|太危险|很危险|安全隐患|人身安全|安全座椅"),
    (Signal.SAFETY, r"拉肚子|食物中毒|中毒|玻璃碴|吃出了?(?:虫|玻璃|异物)|恶心"),
    (
        Signal.SAFETY,
        r"\b(?:smok(?:e|ed|ing)|fire|flames?|spark(?:s|ed)?|burn(?:s|ed|t|ing)?|electric shock|shocked|"
        r"explod(?:e|ed|ing)|injur(?:ed|y)|melt(?:ed|ing)?|overheat(?:ed|ing)?|chok(?:e|ing)|gas leak|"
        r"dangerous|hospital)\b",
    ),
    (Signal.OUTAGE, rf"({_MANY}){_WINDOW}{{0,16}}?({_FAILS})"),
    (
        Signal.OUTAGE,
        r"宕机|瘫痪|服务器挂|系统崩|整个崩|全部停|停工|停产|停业|(?:没法|无法|不能)(?:营业|开业|接待客户|出库)|"
        r"生产线[^。，,]{0,4}停|\boutage\b|\b(?:is|are|went|been) down\b|production is down",
    ),
    (
        Signal.LEGAL,
        r"律师|起诉|法院|诉讼|(?<!转)告你们|报警|12315|消协|消费者协会|工商局|市场监管|银保监|监管部门|"
        r"曝光|上新闻|电视台|联系了?[^。，,]{0,4}记者|找记者|发(?:到)?(?:网上|微博|抖音)",
    ),
    (
        Signal.LEGAL,
        r"\b(?:legal action|lawyers?|sue|court|police|consumer protection|regulators?|"
        r"posting this everywhere)\b",
    ),
    (
        Signal.FRAUD,
        r"盗刷|被盗|盗号|冒充|诈骗|欺诈|骗子|被骗|安全账户|泄露|"
        r"\b(?:scam(?:med)?|fraud|hacked|stolen|impersonat\w*)\b",
    ),
    (
        Signal.UNUSABLE,
        r"开不了机|开不开机|无法开机|不能开机|不开机|开不开|变砖|彻底(?:坏|不)|"
        r"完全(?:无法|不能|没法|用不了|没反应|打不开|不亮|不制冷|变砖)|根本(?:用不了|没法用|无法使用|打不开)|"
        r"没法用了|一点都用不了|(?:灯|指示灯)全灭|连电源灯都不亮|收不了款|收不进|付不了款|进不去家|被锁在门外|"
        r"无服务|停机了|冻结|打不出去",
    ),
    (
        Signal.UNUSABLE,
        r"\b(?:won'?t (?:turn on|boot|start|power on)|completely (?:dead|broken|unusable)|is dead|"
        r"can'?t use|unusable|not working at all|no internet at all|bricked|locked out)\b",
    ),
)

_COMPILED = tuple((signal, re.compile(pattern, re.I)) for signal, pattern in RULES)


@dataclass(frozen=True, slots=True)
class Hit:
    """A signal and the customer's own words that showed it."""

    signal: Signal
    words: tuple[str, ...]


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def signals_in(text: str) -> tuple[Hit, ...]:
    """Every signal the text shows, strongest first (safety before the others), each once."""
    folded = fold(text)
    found: dict[Signal, list[str]] = {}
    for signal, pattern in _COMPILED:
        for match in pattern.finditer(folded):
            for word in [g for g in match.groups() if g] or [match.group(0)]:
                if word.strip() not in found.setdefault(signal, []):
                    found[signal].append(word.strip())
    return tuple(Hit(signal, tuple(found[signal])) for signal in Signal if signal in found)
