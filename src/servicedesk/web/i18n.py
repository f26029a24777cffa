"""Interface text in Simplified Chinese (default) and English.

A message catalogue in code: small, type-checked, and a missing key shows up as the key
itself rather than a crash. Enum labels come from domain.labels.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from servicedesk.domain.labels import DEFAULT_LOCALE, SUPPORTED_LOCALES
from servicedesk.web.texts import catalogue

LOCALE_COOKIE = "sd_lang"

MESSAGES: dict[str, tuple[str, str]] = {
    # --- assistant ---
    "handoff_title": ("机器人转人工", "Handed over by the bot"),
    "handoff_reason": ("原因", "Reason"),
    "handoff_rating": ("客户评分", "Customer rating"),
    "handoff_intent": ("识别意图", "Intent"),
    "handoff_urgency": ("紧急程度", "Urgency"),
    "handoff_keywords": ("关键词", "Keywords"),
    "handoff_hint": (
        "客户与机器人的完整对话已在下方时间线中，请勿让客户重复描述。",
        "The whole conversation with the bot is in the timeline below; the customer need not repeat it.",
    ),
    "nav_assistant": ("机器人", "Bot"),
    "intents_title": ("意图管理", "Intents"),
    "intent_new": ("新建意图", "New intent"),
    "intent_name": ("标识", "Name"),
    "intent_label_zh": ("中文名称", "Chinese label"),
    "intent_label_en": ("英文名称", "English label"),
    "intent_examples": ("示例问法（每行一个）", "Example utterances (one per line)"),
    "intent_slots": ("需要的信息", "Slots"),
    "intent_answer": ("回答模板", "Answer template"),
    "intent_article": ("回答文章", "Answering article"),
    "intent_connector": ("业务接口", "Business connector"),
    "intent_handoff": ("直接转人工", "Always hand off"),
    "intent_active": ("启用", "Active"),
    "intent_saved": (
        "意图已保存，机器人将在下一条消息前重新训练。",
        "Intent saved; the bot retrains before the next message.",
    ),
    "intent_try": ("试一试", "Try it"),
    "intent_try_hint": (
        "输入一句客户的话，看机器人如何识别。",
        "Type what a customer might say and see what the bot makes of it.",
    ),
    "intent_no_match": ("未匹配（转入澄清或人工）", "No match (clarify or hand off)"),
    "review_title": ("待学习问题", "Learning queue"),
    "review_empty": (
        "没有待处理的问题：机器人最近都答上来了。",
        "Nothing to review: the bot matched everything lately.",
    ),
    "review_unmatched": ("未识别的问题", "Questions the bot missed"),
    "review_low_rated": ("低评分回答", "Answers rated low"),
    "review_times": ("次", "times"),
    "review_best_article": ("最接近的文章", "Closest article"),
    "review_rated_answer": ("被评低分的回答", "The answer they rated"),
    "review_add_phrasing": ("加为该文章的问法", "Add as a phrasing of this article"),
    "review_new_draft": ("新建文章草稿", "Open a new draft article"),
    "review_add_examples": ("加为意图示例", "Add as examples of intent"),
    "review_dismiss": ("忽略", "Dismiss"),
    "review_done": ("已处理。", "Done."),
    # --- end assistant ---
    "nav_chats": ("实时会话", "Live chats"),
    "chats_title": ("实时会话", "Live chats"),
    "chats_empty": (
        "暂无进行中的在线会话，访客发来消息时会实时出现在这里。",
        "No live chats; new visitor messages appear here as they arrive.",
    ),
    "chats_send": ("发送", "Send"),
    "chats_reply": ("回复访客……", "Reply to the visitor…"),
    "chats_open_ticket": ("打开工单", "Open case"),
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
    "home": ("首页", "Home"),
    "sign_in_hint": ("客服人员与客户均可在此登录", "Staff and customers sign in here"),
    "none": ("无", "None"),
    "you": ("我", "You"),
    "support_team": ("客服", "Support"),
    "created": ("创建于", "Created"),
    "send": ("发送", "Send"),
    "save": ("保存", "Save"),
    "cancel": ("取消", "Cancel"),
    "first_page": ("第一页", "First page"),
    "next_page": ("下一页", "Next page"),
    "showing": ("本页", "On this page:"),
    # navigation
    "nav_inbox": ("工作台", "Inbox"),
    "nav_my_cases": ("我的工单", "My cases"),
    "nav_new_case": ("提交新问题", "New case"),
    # inbox
    "views": ("视图", "Views"),
    "view_mine": ("我的工单", "Mine"),
    "view_team": ("我的团队", "My teams"),
    "view_unassigned": ("未分配", "Unassigned"),
    "view_all": ("全部待处理", "All open"),
    "view_any": ("全部（含已解决）", "Everything"),
    "search": ("搜索", "Search"),
    "search_placeholder": ("搜索工单号、主题、客户姓名或手机号", "Search number, subject, customer or phone"),
    "any_status": ("所有状态", "Any status"),
    "any_priority": ("所有优先级", "Any priority"),
    "any_type": ("所有类型", "Any type"),
    "any_channel": ("所有渠道", "Any channel"),
    "any_team": ("所有团队", "Any team"),
    "apply_filters": ("筛选", "Filter"),
    "clear_filters": ("清除筛选", "Clear filters"),
    "no_tickets": ("没有符合条件的工单", "No tickets match"),
    "col_number": ("工单号", "Number"),
    "col_customer": ("客户", "Customer"),
    "col_updated": ("更新于", "Updated"),
    "unassigned": ("未分配", "Unassigned"),
    "no_team": ("无团队", "No team"),
    # ticket fields (also the audit trail)
    "f_subject": ("主题", "Subject"),
    "f_status": ("状态", "Status"),
    "f_priority": ("优先级", "Priority"),
    "f_type": ("问题类型", "Type"),
    "f_channel": ("渠道", "Channel"),
    "f_team_id": ("团队", "Team"),
    "f_assignee_id": ("处理人", "Assignee"),
    "f_tags": ("标签", "Tags"),
    "f_reason": ("修改原因", "Reason"),
    "f_kind": ("类别", "Kind"),
    "f_length": ("字数", "Length"),
    "f_metric": ("时效指标", "SLA metric"),
    "f_due_at": ("截止时间", "Due"),
    "f_tier": ("层级", "Tier"),
    "f_conversation_id": ("会话编号", "Conversation id"),
    "f_customer_id": ("客户编号", "Customer id"),
    # the agent's ticket page
    "no_messages": ("暂无消息", "No messages yet"),
    "reply_kind": ("消息类别", "Message kind"),
    "public_reply": ("公开回复", "Public reply"),
    "internal_note": ("内部备注", "Internal note"),
    "message_body": ("消息内容", "Message"),
    "reply_placeholder": ("输入回复内容……", "Write your reply…"),
    "note_hint": ("内部备注仅客服可见", "Internal notes are visible to staff only"),
    "read_only": ("您的角色只能查看工单，不能处理", "Your role may view tickets but not work on them"),
    "audit_trail": ("操作记录", "Audit trail"),
    "move_to": ("改为", "Move to"),
    "properties": ("工单属性", "Properties"),
    "tags_hint": ("用逗号分隔", "Separate with commas"),
    "reason_hint": ("可选，记入操作记录", "Optional; kept in the audit trail"),
    "tier": ("会员等级", "Tier"),
    "phone": ("手机号", "Phone"),
    "conflict_reload": (
        "保存失败：该工单刚刚被其他人修改过。下面是最新内容，请确认后重新修改。",
        "Not saved: someone else changed this ticket just now. The latest version is shown below; "
        "please check it and make your change again.",
    ),
    "ev_ticket_created": ("创建工单", "Ticket created"),
    "ev_ticket_updated": ("修改属性", "Properties changed"),
    "ev_ticket_status_changed": ("状态变更", "Status changed"),
    "ev_message_reply": ("公开回复", "Public reply"),
    "ev_message_note": ("内部备注", "Internal note"),
    "ev_message_inbound": ("客户消息", "Customer message"),
    # the help center
    "help_greeting": ("您好，", "Hello, "),
    "help_intro": ("在这里查看您提交的问题和客服的回复", "Your cases and our replies, all in one place"),
    "no_cases": ("您还没有提交过问题", "You have not opened any cases yet"),
    "new_case_intro": (
        "请描述您遇到的问题，我们会尽快回复",
        "Tell us what happened and we will get back to you soon",
    ),
    "subject_hint": ("一句话概括问题，例如：耳机左耳没有声音", "One line, e.g. the left earbud is silent"),
    "description": ("问题描述", "Description"),
    "description_hint": (
        "请尽量详细：发生了什么、什么时候、订单号等",
        "As much detail as you can: what happened, when, order number…",
    ),
    "submit_case": ("提交", "Submit"),
    "fix_errors": ("请修正以下标出的内容", "Please correct the marked fields"),
    "err_required": ("此项必填", "Required"),
    "err_too_long": ("内容过长", "Too long"),
    "err_choice": ("请选择列表中的一项", "Choose one of the options"),
    "add_reply": ("补充说明", "Add a reply"),
    "customer_reply_placeholder": ("补充信息或回复客服……", "Add details or answer our team…"),
    "resolved_question": (
        "客服已将此问题标记为已解决。您的问题解决了吗？",
        "We marked this case as resolved. Is your problem solved?",
    ),
    "confirm_resolved": ("确认解决", "Yes, it is solved"),
    "not_resolved": ("问题未解决", "No, not solved"),
    "case_closed": (
        "此工单已关闭，如仍需帮助请提交新问题。",
        "This case is closed; please open a new one if you still need help.",
    ),
    "case_changed": (
        "工单状态刚刚发生了变化，请查看最新内容。",
        "This case changed just now; here is the latest.",
    ),
    # --- knowledge base ---
    "nav_kb": ("知识库", "Knowledge"),
    "nav_help_articles": ("帮助文章", "Help articles"),
    "kb_title": ("知识库", "Knowledge base"),
    "kb_articles": ("文章", "Articles"),
    "kb_scripts": ("话术", "Scripts"),
    "kb_products": ("产品版本", "Products"),
    "kb_new_article": ("新建文章", "New article"),
    "kb_edit_article": ("编辑文章", "Edit article"),
    "kb_new_script": ("新建话术", "New script"),
    "kb_edit_script": ("编辑话术", "Edit script"),
    "kb_search_placeholder": ("搜索标题或正文", "Search titles and bodies"),
    "kb_any_product": ("所有产品", "Any product"),
    "kb_any_freshness": ("全部", "Fresh or stale"),
    "kb_only_stale": ("需复核", "Needs review"),
    "kb_only_fresh": ("无需复核", "Up to date"),
    "kb_stale": ("时效", "Freshness"),
    "kb_no_articles": ("没有符合条件的文章", "No articles match"),
    "kb_prev_page": ("上一页", "Previous page"),
    "kb_f_title": ("标题（问题）", "Title (the question)"),
    "kb_f_questions": ("其他问法", "Other phrasings"),
    "kb_f_body": ("正文（答案）", "Body (the answer)"),
    "kb_f_tags": ("标签", "Tags"),
    "kb_f_product": ("产品", "Product"),
    "kb_f_product_version": ("适用版本", "Covers version"),
    "kb_f_review_by": ("复审日期", "Review by"),
    "kb_f_status": ("状态", "Status"),
    "kb_f_locale": ("语言", "Language"),
    "kb_f_note": ("修改说明", "Change note"),
    "kb_locale_zh": ("中文", "Chinese"),
    "kb_locale_en": ("英文", "English"),
    "kb_title_hint": ("写成客户会问的样子", "Write it the way a customer asks"),
    "kb_questions_hint": (
        "每行一个，客户的其他说法，帮助搜索和机器人找到本文",
        "One per line: other ways customers ask; they help search and the bot find this",
    ),
    "kb_note_hint": ("可选：为什么修改，记入版本历史", "Optional: why, kept in the history"),
    "kb_save_draft": ("保存草稿", "Save draft"),
    "kb_saved": ("已保存。", "Saved."),
    "kb_invalid": ("不符合要求", "Invalid"),
    "kb_conflict": (
        "保存失败：有人刚刚修改过这篇内容。下面是您的修改，已基于最新版本，请核对后再保存。",
        "Not saved: someone changed this just now. Your text is kept below on top of the latest "
        "version; check it and save again.",
    ),
    "kb_owner": ("负责人", "Owner"),
    "kb_revision": ("版本", "Revision"),
    "kb_published_at": ("发布于", "Published"),
    "kb_source_ticket": ("来源工单", "From ticket"),
    "kb_publish": ("发布", "Publish"),
    "kb_unpublish": ("撤回为草稿", "Back to draft"),
    "kb_archive": ("归档", "Archive"),
    "kb_back_to_draft": ("恢复为草稿", "Reopen as draft"),
    "kb_publish_hint": (
        "草稿需由专家、主管或管理员审核发布后，客户和机器人才能看到。",
        "An expert, supervisor or admin publishes drafts; until then customers and the bot do not see them.",
    ),
    "kb_view_public": ("在帮助中心查看", "View in the help center"),
    "kb_history": ("版本历史", "History"),
    "kb_history_hint": ("选择 A、B 两个版本进行对比", "Pick revisions A and B to compare"),
    "kb_author": ("修改人", "Saved by"),
    "kb_saved_at": ("保存时间", "Saved at"),
    "kb_system": ("系统导入", "System import"),
    "kb_restore": ("恢复此版本", "Restore"),
    "kb_diff_mode": ("对比方式", "Diff view"),
    "kb_side_by_side": ("左右对比", "Side by side"),
    "kb_unified": ("合并视图", "Unified"),
    "kb_compare": ("对比", "Compare"),
    "kb_changes": ("变更：版本", "Changes: revision"),
    "kb_no_changes": ("两个版本内容相同", "The two revisions are the same"),
    "kb_current_version": ("当前版本", "Current version"),
    "kb_products_hint": (
        "产品有新版本时，适用旧版本的文章会被标记为需复核",
        "Articles written for an older version are flagged for review",
    ),
    "kb_unregistered": ("（文章中使用，尚未登记版本）", "(named by articles, no version yet)"),
    "kb_no_products": ("还没有产品", "No products yet"),
    "kb_add_product": ("添加产品", "Add product"),
    "kb_scenario": ("场景", "Scenario"),
    "kb_any_scenario": ("所有场景", "Any scenario"),
    "kb_any_locale": ("所有语言", "Any language"),
    "kb_no_scripts": ("没有符合条件的话术", "No scripts match"),
    "kb_all_channels": ("所有渠道", "All channels"),
    "kb_channel_hint": ("仅欢迎语可指定渠道", "Only a welcome belongs to one channel"),
    "kb_script_body": ("话术内容", "Text"),
    "kb_variables_hint": (
        "可用变量：{customer_name} {agent_name} {ticket_no} {order_no}",
        "Variables: {customer_name} {agent_name} {ticket_no} {order_no}",
    ),
    "kb_compliance_note": ("合规提示", "Compliance note"),
    "kb_compliance_hint": ("客服使用时会看到，如不得承诺的内容", "Shown to agents: what not to promise"),
    "kb_approve": ("审核通过", "Approve"),
    "kb_approve_hint": (
        "话术需由专家、主管或管理员审核通过后才能被客服插入或用作欢迎语。",
        "An expert, supervisor or admin approves scripts before agents can insert them.",
    ),
    "kb_variables": ("变量", "Variables"),
    "kb_variables_help": (
        "插入回复时自动填入客户姓名、客服姓名和工单号，其余变量保留给客服补充。",
        "Customer name, agent name and ticket number are filled in when inserted; "
        "the agent completes the others.",
    ),
    "kb_sidebar_title": ("建议文章与话术", "Suggested articles and scripts"),
    "kb_confidence": ("匹配度", "Match"),
    "kb_insert": ("插入", "Insert"),
    "kb_insert_link": ("插入链接", "Insert link"),
    "kb_fill_in": ("需补充：", "Fill in:"),
    "kb_no_suggestions": ("暂无相关的文章或话术", "No related articles or scripts"),
    "kb_all_scripts": ("全部话术", "All scripts"),
    "kb_draft_from_ticket": ("转为知识库草稿", "Turn into a draft article"),
    "help_articles_title": ("帮助文章", "Help articles"),
    "help_articles_intro": (
        "常见问题的解答，输入您的问题即可搜索",
        "Answers to common questions: type yours to search",
    ),
    "help_articles_search": ("搜索帮助文章", "Search help articles"),
    "help_articles_placeholder": ("例如：怎么退货、发票怎么开、修改收货地址", "e.g. how do I return an item"),
    "help_articles_results": ("搜索结果", "Results"),
    "help_articles_latest": ("最新文章", "Latest articles"),
    "help_articles_none": ("没有找到相关文章，您可以", "Nothing found; you can"),
    "help_articles_empty": ("暂无文章，您可以", "No articles yet; you can"),
    "help_articles_related": ("相关文章", "Related articles"),
    "help_articles_not_solved": ("没有解决您的问题？", "Still need help?"),
    # --- end knowledge base ---
}
_FEATURES = catalogue()
if MESSAGES.keys() & _FEATURES.keys():
    raise RuntimeError(f"interface text defined twice: {sorted(MESSAGES.keys() & _FEATURES.keys())}")
MESSAGES.update(_FEATURES)


def locale_of(request: HTTPConnection) -> str:
    """A page's or a socket's language: the cookie, else the browser's, else the default."""
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in SUPPORTED_LOCALES:
        return chosen
    accept = request.headers.get("accept-language", "")
    if accept.lower().startswith("en"):
        return "en"
    settings = getattr(request.app.state, "settings", None)
    configured = getattr(settings, "default_locale", DEFAULT_LOCALE)
    return configured if configured in SUPPORTED_LOCALES else DEFAULT_LOCALE


def translate(key: str, locale: str) -> str:
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    return pair[1] if locale == "en" else pair[0]
