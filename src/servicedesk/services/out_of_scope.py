"""What a shop's service bot must not answer, as examples of a class of their own.

A classifier trained only on in-scope intents spreads all of its confidence over them, so
"今天天气怎么样" comes out as a product question with 0.88. Giving it examples of the world
outside — small talk, other trades, general knowledge, things no web shop answers — teaches it
where its intents end. Written for this project; administrators add their own as the examples
of an intent named `out_of_scope`, which the bot never answers with.
"""

from __future__ import annotations

OUT_OF_SCOPE_INTENT = "out_of_scope"

OUT_OF_SCOPE: tuple[str, ...] = (
    "今天天气怎么样", "明天会下雨吗", "北京现在几度", "给我讲个笑话", "你叫什么名字啊", "你是男的还是女的",
    "你几岁了", "你喜欢吃什么", "我好无聊陪我聊聊天", "今晚吃什么好", "推荐一部好看的电影", "最近有什么新歌",
    "股票明天会涨吗", "比特币现在多少钱", "人民币兑美元汇率是多少", "帮我算一下 37 乘以 48", "一加一等于几",
    "地球到月亮有多远", "中国的首都是哪里", "长城有多长", "怎么学好英语", "Python 怎么写循环",
    "帮我写一首诗", "帮我翻译这句话", "附近有什么好吃的餐厅", "去上海的高铁票怎么买", "机票能帮我订吗",
    "我头疼该吃什么药", "感冒了怎么办", "怎么减肥最快", "孩子发烧了怎么处理", "酒店怎么预订",
    "你们公司招人吗", "你们老板是谁", "你们公司在哪里上市", "我想加盟你们", "能帮我交电费吗",
    "信用卡额度怎么提高", "我的社保怎么查", "驾照考试怎么报名", "怎么办理护照", "房贷利率是多少",
    "猫咪不吃东西怎么办", "狗狗怎么训练", "世界杯谁是冠军", "NBA 今天谁赢了", "周末去哪里玩",
    "怎么种多肉植物", "红烧肉怎么做", "手机号码归属地查询", "彩票中奖号码是多少", "今天星期几",
    "你是机器人吗", "你会唱歌吗", "晚安", "哈哈哈哈", "嗯嗯", "好的吧", "随便问问", "测试一下",
    "what's the weather like today", "tell me a joke", "what is the capital of France",
    "how do I cook pasta", "who won the football match", "what is bitcoin worth",
    "can you book me a flight", "I have a headache what should I take", "what time is it in London",
    "write me a poem", "how tall is mount everest", "are you a robot", "do you like music",
    "recommend a good movie", "how do I learn python", "what's two plus two",
)  # fmt: skip
