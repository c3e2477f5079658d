"""Weak (silver) labels for every unit of a report, from report structure and cue patterns.

Gold labels cover a few dozen reports; the corpus has two hundred. A rules labeller gives every
unit of every report a label a model can pre-train on, and it is cheap to re-run when the
guideline or the segmenter changes.

Why structure first: government reports follow one plan — a review of the past period (measures
and outcomes), an admission of problems (shortcomings), then the work planned for the next period
(plans) — and the guideline reads every unit in its place. A bare imperative is a ``plan`` in the
plan part and a ``measure`` in the review part, so the labeller first decides which part a unit
stands in and only then reads its cues:

- **Parts** switch at headings that name a part (「一、2023年工作回顾」, 「二、存在的不足」,
  「四、2025年工作计划」) and at in-text transitions: 「我们也清醒地看到……问题」 opens a problem
  run inside the review that ends at 「对此，我们将……」 or the next section heading;
  「下一步，我们将……」 opens the plan part of reports that give it no heading.
- **Cues** then pick the label inside a part: outcome evidence or effect claims against measures in
  the review, problem admissions, future markers, and ceremony that is ``other`` anywhere.

The rules are general patterns from the guideline (``shared/spec/labels.md``); they were tuned on
the gold units of ``train`` and ``dev`` reports only.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..annotations import span_hash
from ..corpus import Document
from ..labels import guideline_version
from ..segment import Unit, segment

SILVER_VERSION = "1"
ANNOTATOR = f"rules:govtag.training.silver@{SILVER_VERSION}"

# The parts of a report, in reading order. FRONT is everything before the first part heading;
# NOTES is a glossary or appendix after the report proper.
FRONT, REVIEW, PROBLEMS, PLAN, NOTES = "front", "review", "problems", "plan", "notes"
YEAR_WORK = "year-work"  # a heading that names a year's work: the review or the plan, by position

_CN_NUM = "一二三四五六七八九十百"
_CJK = re.compile(r"[\u3400-\u9fff]")
_YEAR = re.compile(r"((?:19|20)\d{2})年")

# ---------------------------------------------------------------- heading ranks
# Rank of a heading from its numbering: 1 「一、」/「第一部分」, 2 「（一）」, 3 「1.」, 4 「（1）」,
# 5 items 「一是」/「①」, 0 unnumbered. Read from the text so that rows without a level work too.
_RANKS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(rf"^第[{_CN_NUM}]+(?:部分|章|篇)"), 1),
    (re.compile(rf"^[{_CN_NUM}]+[、．.]"), 1),
    (re.compile(rf"^[（(][{_CN_NUM}]+[)）]"), 2),
    (re.compile(r"^\d{1,2}[、．.](?!\d)"), 3),
    (re.compile(r"^[（(]\d{1,2}[)）]"), 4),
    (re.compile(rf"^(?:[{_CN_NUM}]+是|[①-⑳])"), 5),
)
ITEM_RANK = 5
MAX_PART_HEADING_CHARS = 45  # a longer heading states content, it does not just name a part
MAX_LABEL_CHARS = 16  # an unnumbered heading this short with no verb of doing or claim is a bare label
# A heading with a clause break, a full stop or a claim states content (「（六）……，主要任务取得重大进展。」).
_CONTENT_HEADING = re.compile(r"[，,；;]|。$|取得|实现")

# ---------------------------------------------------------------- part-naming headings
# Checked in this order: 「2015年工作回顾」 names the review even though it names a year.
_NOTES_HEAD = re.compile(r"名词(?:解释|术语)|术语(?:解释|注释)|注释$|^附[件录表]")
_PROBLEM_HEAD = re.compile(
    r"存在(?:的)?(?:主要)?(?:问题|不足|困难)|(?:问题|不足)(?:和|与|及)(?:不足|困难|差距|挑战|问题)"
    r"|^(?!.*关于)(?:[^，,]{0,8})(?:主要)?(?:问题|不足|短板)(?:之处)?$|面临的(?:困难|问题|挑战)"
)
_REVIEW_HEAD = re.compile(
    r"回顾|(?:主要|工作)(?:举措|做法|成效|成绩|成就)|(?:举措|做法|措施)(?:和|及|与)(?:成效|成果|成绩)"
    r"|工作(?:情况|总结|进展)|(?:进展|开展|落实|完成|基本)情况|职责(?:情况|履行)|履行.{0,24}职责"
    r"|主要(?:工作)?成[效绩就]"
    r"|以来(?:的)?工作$|过去(?:一|五|的一)年|发展(?:成就|成绩)|(?:主要|取得的)(?:成就|成绩)"
)
_PLAN_HEAD = re.compile(
    r"工作(?:安排|计划|打算|思路|重点|部署|建议|任务|目标)|下一步|(?:主要|重点|目标)任务|总体要求|今后|未来"
    r"|展望|(?:今|明)年|\d{4}年(?:的)?(?:主要|重点)?(?:目标|任务)|十[一二三四五六七]五|奋斗目标|发展目标"
    r"|预期目标|的建议$"
)
# 「关于2019年工作」 names the review when it comes first and the plan when it follows a review.
_YEAR_WORK_HEAD = re.compile(r"\d{4}年(?:的)?(?:主要|重点)?工作$")

# ---------------------------------------------------------------- other: ceremony and structure
_ADDRESS = re.compile(r"^(?:各位代表|同志们|各位委员|各位领导)[，,！!：:]?$")
_CEREMONY = re.compile(
    r"请予审议|请.{0,6}审议|报告如下|现将.{0,30}报告|(?:表示|致以).{0,8}(?:感谢|敬意|慰问)|我代表.{0,60}(?:感谢|敬意)"
    r"|^让我们|(?:主要)?(?:做|抓)了以下(?:几[项个方面]|[一二三四五六七八九十]+[项个方面])?.{0,6}工作"
    r"|(?:的结果|分不开)[。！]?$|得益于|离不开|成绩.{0,6}来之不易[。！]?$|我们要感谢|作(?:些|一些|如下)?说明"
    r"|责任编辑|【[^】]{1,8}】$"
    # announcing what follows: 「重点做好以下十个方面工作：」, 「五年来的主要工作及特点：」
    r"|以下.{0,10}(?:工作|方面|任务|建议)[：:。]?$|主要工作(?:及|和)?(?:特点|体会)?[：:]$|^关于[^，。]{1,20}[。：:]$"
    # closing calls and slogans: 「让我们……团结奋斗！」
    r"|团结在.{0,40}周围|(?:而|继续|共同|努力|不懈|团结)奋斗[！!。]?$|谱写.{0,20}新篇章[！!。]?$"
)
_CONTEXT_YEAR = re.compile(  # 「今年是……关键之年」: the setting, not a plan or a result
    r"(?:今年|明年|去年|一年|\d{4}年|五年|时期)[”]?(?:时期)?[，,]?是.{0,80}(?:之年|一年|五年|周年)"
)
# What leaders and meetings said or did for us: 「习近平总书记……作出重要指示批示」, 「区党代会提出，……」.
_LEADER_SAID = re.compile(
    r"^[^，,]{0,30}(?:会议|全会|党代会|总书记|党中央|中央|省委|市委|区委)[^，,]{0,16}"
    r"(?:指出|强调|提出|阐述|作出|赋予|亲临|嘱托)"
)
# General propositions in the plan part, which plan nothing (「企业是市场的主体。」, 「创新决定未来。」,
# 「习近平总书记指出，……」, 「当前，世界经济……」).
_PROPOSITION = re.compile(
    r"^[^，,；;]{2,24}(?<![一二三四五六七八九十])是[^，,；;]{2,40}[。；;]$|在于|关键在|决定未来"
    r"|^只有.{0,30}才|^只要.{0,40}(?:就|一定)|^(?:当前|当今|现阶段|从一定意义上讲|从全球来看)[，,]"
)
_IDEOLOGY_ONLY = re.compile(r"^(?:以|在).{0,60}(?:为指导|指引下|领导下)[^，。；]*[，,]?[^取实完建]*$")
_SLOGAN = re.compile(r"[！!]$")
# Sign-off lines: the sender and the date under the report.
_SIGN_OFF = re.compile(
    r"^[\u4e00-\u9fff（）()]{2,30}(?:人民政府|政府办公室|办公室|办公厅|委员会|管理局|局|厅|委|中心|政府)$"
    r"|^[0-9一二三四五六七八九〇○零]{2,4}年[0-9一二三四五六七八九十]{1,2}月[0-9一二三四五六七八九十〇○]{1,3}日$"
)

# ---------------------------------------------------------------- shortcomings
# 「我们也清醒地看到……」, 「……还存在一些问题和不足：」 open a problem run.
_PROBLEM_OPENER = re.compile(
    r"(?:清醒|冷静|深刻)(?:地)?(?:看到|认识到|意识到)|我们(?:也)?深知|(?:存在|面临|面对)(?:着)?(?:的)?"
    r"(?:一些|不少|许多|诸多|很多|新的)?.{0,16}(?:问题|不足|困难|差距|挑战|短板|矛盾)(?:[，,：:。]|$)"
    r"|(?:问题|不足|差距|困难)(?:和|与)(?:不足|问题|挑战|困难)|(?:不足|差距)[：:]$|还有(?:很多|不少|一些)不足|缺点和不足"
    r"|还有(?:不少|很大|较大|一定)?(?:的)?差距"
)
# 「在肯定成绩的同时」: the turn from results to problems (its result words are not outcome cues).
_CONCESSION = re.compile(
    r"(?:肯定|看到|取得|总结)[^，,]{0,6}(?:成绩|成就|成效)的?同时|成绩面前|回顾.{0,10}(?:工作|一年)|[，,](?:但|但是|然而)"
)
# A downturn reported inside a problem run belongs to it (「工业增加值下降3.7%」).
_DOWNTURN = re.compile(r"下降|下滑|减少|负增长|回落|萎缩|收窄|冲击|影响|不便|扰民|代价")
# Words that admit a problem (guideline: 不够、不足、有待、仍需、短板、薄弱、滞后、单一、不到位…).
_SHORTCOMING = re.compile(
    r"不够|不足(?!\d)|有待|仍需|尚需|还需|亟需|亟待|短板|薄弱|滞后|单一|不到位|不均衡|不平衡|不充分|不完善|不健全"
    r"|不规范|不合理|不明显|不高|不强|不大|不多|不快|不畅|偏低|偏少|偏弱|偏高|较低|较弱|较少|差距|瓶颈|欠账|隐患"
    r"|难度(?:较|很|越来越)?大|(?:较大|很大|一定)难度|压力(?:仍然|依然|还)?(?:较|很|比较|十分)?大"
    r"|面临(?:着)?(?:不少|一些|诸多|很多|许多)?.{0,8}(?:问题|挑战|困难|风险)|问题(?:仍然|依然|比较|较为|十分)?突出"
    r"|尚未|还没有|没有(?:根本|完全|真正)|仍(?:然)?存在|依然存在|仍有|不容乐观|严峻|困难|任重道远|制约|矛盾(?:突出|凸显)"
)
# …unless the unit is about solving the problem: 「补齐短板」 「着力解决……问题」 are actions.
_SOLVING = re.compile(
    r"(?<![待未有难能好])(?:补齐?|补强|解决(?:了)?|破解|弥补|化解|克服|针对|聚焦|围绕|突破|应对|缓解|整改|消除|攻克"
    r"|帮助|解困|纾困|帮扶)"
    r".{0,12}(?:短板|不足|问题|瓶颈|困难|矛盾|差距|薄弱|隐患|难题)"
)
# The unit that closes a problem run: 「对此，我们将……」, 「我们一定要努力改进工作……」.
_PROBLEM_CLOSER = re.compile(
    r"^(?:对此|对于?这些|面对这些|针对这些|这些问题和|这些困难和|对上述|为此)"
    r"|(?:我们|政府)(?:将|要|必须|一定要|一定|决心)"
    r"|加以解决|切实解决|认真解决|努力解决|决不辜负|绝不辜负"
)

# ---------------------------------------------------------------- plans
_PLAN_OPENER = re.compile(
    r"^(?:下一步|今后|明年|新的一年|\d{4}年|未来[一二三四五]年)[，,].{0,12}(?:将|要|拟|计划|力争)|^下一步"
)
_LOOK_BACK = re.compile(r"^(?:去年|过去|这些年|近些年|近年来|多年来|五年来|\d{4}年以来|经过.{0,10}努力)")
_FUTURE = re.compile(
    r"下一步|今后|明年|未来[一二三四五]?年"
    r"|(?:将|(?<![需只主重])要|拟|计划|力争|争取|必须|务必|一定要)(?:继续|进一步|加快|全力|努力|着力|坚持"
    r"|持续|不断|重点|切实|采取|认真|深入|全面|大力|积极|推动|推进|加强|深化|完善|建立|健全|实现|确保|把|以|在|做好|抓好|落实"
    r"|按照|围绕|紧紧|牢牢|更加|始终|抓紧|加大|高度|努力)"
    # 「我局将……」 is future, but 「我局将法治建设纳入考核」 uses 将 for 把 and reports a past act
    r"|(?:我们|我[区市县省局委办])(?:将|要|拟|计划)(?![^，。；]{0,16}(?:纳入|列入|作为|列为|融入|贯穿|写入))"
)

# ---------------------------------------------------------------- outcomes
_PERCENT = r"\d+(?:\.\d+)?(?:%|‰|个百分点|成)"
_OUTCOME = re.compile(
    # a rate, ratio, ranking, level or change reached
    rf"{_PERCENT}|同比|增速|(?:增长|下降|提高|提升|增加|减少|降低|缩短|压缩|回落|上升|扩大)(?:了)?(?:到|至)?\d"
    r"|(?:提高|提升|降|下降|缩短|压缩|减少|增加|扩大|上升)(?:到|至)|由.{0,16}(?:提高|提升|下降|降|增加|减少|缩短)"
    r"|达(?:到)?[\d一二三四五六七八九十百千万亿]|突破\d|超过\d|位(?:居|列)|排名|排在|居.{0,8}(?:首位|前列|第)"
    r"|全国(?:首|第一|前列|领先)|率先|首个|首批|首家"
    # an award, title, recognition or evaluation
    r"|获评|荣获|获得|获批|被(?:评为|授予|列为|确定为|命名为)|评为|入选|入围|获.{0,10}(?:奖|称号|表彰)|授予|称号"
    r"|通过.{0,24}(?:验收|评估|考核|认证|复审|审查|评审|测评|检查)|被.{0,24}(?:推广|报道|肯定|采纳|转发|表扬)"
    # completion of a target, a state reached
    r"|建成|完成|实现|全覆盖|清零|归零|零(?:增长|发生|事故|投诉)|上线|投入(?:使用|运营|运行)|通车|开通|落户|竣工|办结"
    r"|满意率|办结率|覆盖率|达标率|合格率|优良率|成功率|知晓率|执行率|\d+(?:\.\d+)?倍"
    # a claim of effect
    r"|取得(?:了)?.{0,16}(?:成效|成果|进展|突破|成绩|胜利|成就|实效|好评)|成效(?:明显|显著|突出)|(?:效果|效能|效率|成效)"
    r"(?:明显|显著|良好|突出|提升|提高)|(?:明显|显著|大幅|持续|不断|进一步|稳步|逐步|有效|更加|日益|快速|全面|大大)"
    r"(?:提升|提高|增强|改善|优化|加快|下降|降低|扩大|减少|缓解|好转|完善|向好|壮大|巩固|规范|彰显|显现|凸显|活跃"
    r"|丰富|便利|便捷|畅通|健全|增加)"
    r"|得到(?:了)?.{0,10}(?:提升|提高|增强|改善|加强|保障|落实|解决|肯定|缓解|遏制|规范|展现|发挥|彰显)"
    r"|有效(?:遏制|控制|防范|化解|保障|促进|解决|维护|避免)|(?:保持|实现)(?:了)?(?:平稳|稳定|稳中|增长|较快)"
    r"|迈上|跃升|跃居|翻番|创.{0,6}(?:新高|纪录|历史)|新(?:台阶|水平|突破|局面|进展|成效|成绩|高度|面貌)|向好|成为"
    r"|遏制(?:了|住)|有所(?:缓解|改善|提高|提升|好转|下降|增加|减少)|填补.{0,12}空白|办成|迈出.{0,8}步伐|成果丰硕"
    r"|(?:总体|基本|保持|持续)(?:平稳|稳定|可控)|未发生|保持在|稳中(?:有进|向好|提质)|(?:更好|充分)(?:彰显|发挥|展现)"
    r"|(?:形势|态势|局势)(?:总体|保持|持续)?(?:平稳|稳定|良好|向好)|作出(?:了)?.{0,8}贡献|处于.{0,10}(?:最低|最高|领先)水平"
    r"|(?:差距|负担|成本)(?:逐步|明显|持续|进一步)?(?:缩小|减轻|降低)"
    # a quantity of things built, created or reached (not of work done; see _ACTIVITY_COUNT)
    r"|(?:新建|新增|新改建|改扩建|建设|改造|治理|清退|核减|节约|带动|吸引|促进|净增|盘活|整备|供应|筹集)"
    r"[^，；。]{0,14}?\d[\d.]*(?:余|多)?(?:万|亿)?(?:个|座|所|家|公里|千米|米|平方米|公顷|亩|张|套|户|人|名|条|辆|吨|间|栋|处|宗|台)"
)
# Volume of activity is still a measure (guideline: 「开展政策解读258次」): a count right after a
# verb of doing, with a unit of activity.
_ACTIVITY_COUNT = re.compile(
    r"(?:开展|举办|召开|组织|发放|办理|培训|印发|制定|出台|检查|走访|受理|聘请|开设|宣传|解读|审查|审核|备案|清理|梳理"
    r"|拨付|投入|资助|提供|发布|编印|举行|接待|答复|处理|查处|调解|调处|排查|整治|清拆|拆除|服务|帮扶|救助|慰问|征集)"
    r"[^，；。]{0,16}?\d[\d.]*(?:余|多)?(?:万|亿)?(?:次|场|件|期|份|人次|家次|批|项|个|起|宗|条|户|人|名|家|元|册|篇|场次)"
)

# What the reporting body did: a unit that opens with a verb of doing (after time phrases, item
# markers and manner adverbs) and claims no result is a measure; one that opens with its topic and
# states where it stands (「金融运行总体平稳」) is an outcome. 「X深入推进」 still reports doing.
_LEAD = re.compile(
    rf"^(?:[{_CN_NUM}]+是|[（(][{_CN_NUM}\d]+[)）]|——|此外|另外|同时|其中|[，,、\s])*"
    r"(?:(?:\d{4}年(?:以来)?|全年|一年来|五年来|过去(?:的)?(?:一|五)年|去年|今年以来|近年来)[，,]?)?"
    r"(?:我们|我[区市县省局委办]|[区市县]政府)?(?:还|也|都)?"
)
_MANNER = (r"(?:积极|稳妥|大力|深入|全面|持续|认真|扎实|切实|不断|进一步|着力|加快|稳步|有序|严格|坚决|始终|及时"
           r"|全力|有效|精心|主动|努力|牢牢|毫不放松地?|毫不动摇地?|坚定不移地?|扎扎实实|不懈|有力|统筹|高标准|高质量"
           r"|率先|首次|成功|共|累计|果断|迅速|集中|重点|专门|多措并举|因地制宜|按程序|依法|创新性地?)")
_ACTION_VERB = (r"(?:开展|制定|印发|出台|建立|健全|完善|推进|推行|推动|组织|举办|召开|实施|落实|加强|深化|开设|聘请"
                r"|梳理|清理|学习|部署|坚持|强化|优化|创新|探索|打造|构建|设立|成立|启动|编制|修订|颁布|发布|加大|规范"
                r"|严厉|协调|配合|支持|引导|鼓励|培育|引进|举行|签署|发放|拨付|投入|办理|受理|处理|查处|整治|督促|指导"
                r"|推广|抓好|做好|打好|打赢|筑牢|抓实|巩固|下达|保障|帮助|筹集|安排|设置|搭建|组建|参与|承办|走访|开通"
                r"|针对|围绕|聚焦|根据|按照|面对|应对|把|将|以|对|在|为|向|实行|贯彻|执行|压实|夯实|提请|审议|研究|谋划"
                r"|制订|起草|宣传|培训|选派|选聘|招聘|配备|投资|争取|申报|创建|开工|新开工|动工|改革|精简|取消|下放|简化"
                r"|整合|调整|提高|提升|降低|扩大|增加|减免|免除|兑现|约谈|检查|督查|考核|评估|审查|审核|备案|公开|发挥"
                r"|加速|严把|严控|严查|牵头|联合|协同|优先|注重|重视|关注|突出|推出|设|建|办|抓|保|促|治)")
# A manner adverb is only ever followed by a verb, so 「扎扎实实保民生」 needs no list of 保.
_ACTION_START = re.compile(rf"^(?:{_MANNER}+.|{_MANNER}*{_ACTION_VERB})")
# …or a short named actor does it: 「市政府主要负责人召开常务会议……」, 「各部门开展……」.
_ACTOR_DOING = re.compile(
    rf"^[^，,。；;：:]{{1,14}}?{_MANNER}*(?:开展|制定|印发|出台|召开|举办|组织|实施|部署|研究|听取|审议|签署|办理|受理"
    r"|培训|开设|聘请|梳理|清理|学习|修订|编制|发布|建立|健全|推行|落实|督促|指导|检查|约谈|牵头|参加|出席|主持)"
)
_DOING_END = re.compile(
    r"(?:推进|开展|实施|启动|推行|展开|进行|部署|落实|铺开|举办|举行|召开|开工建设|动工|加强|深入|深化)[。；;]?$"
)


@dataclass
class _State:
    """Where the reader stands: the report part, and whether an in-text problem run is open."""

    part: str = FRONT
    part_rank: int = 0  # rank of the heading that opened the part (0: unnumbered or in-text)
    problem_run: bool = False
    problems_seen: bool = False  # the review has had its problem run: the next section is the plan
    review_year: int | None = None  # the year the review looks back on, from its heading


def _heading_rank(text: str) -> int:
    """Numbering rank of a heading (see ``_RANKS``); 0 for an unnumbered heading."""
    for pattern, rank in _RANKS:
        if pattern.match(text):
            return rank
    return 0


def _heading_part(text: str) -> str | None:
    """The part a heading names (it only names the section), or None for a content heading."""
    if _heading_rank(text) == ITEM_RANK or len(text) > MAX_PART_HEADING_CHARS or _CONTENT_HEADING.search(text):
        return None
    if _NOTES_HEAD.search(text):
        return NOTES
    if _PROBLEM_HEAD.search(text):
        return PROBLEMS
    if _REVIEW_HEAD.search(text):
        return REVIEW
    if _PLAN_HEAD.search(text):
        return PLAN
    if _YEAR_WORK_HEAD.search(text):
        return YEAR_WORK
    return None


def _enter_part(part: str, rank: int, heading: str, state: _State) -> None:
    """Start a part (at a heading that names it, or in-text with ``heading=""``)."""
    if part == YEAR_WORK:
        part = REVIEW if state.part == FRONT else PLAN
    if part == REVIEW and (year := _YEAR.search(heading)):
        state.review_year = int(year.group(1))
    state.part, state.part_rank = part, rank
    state.problem_run = state.problems_seen = False


def _names_later_year(text: str, state: _State) -> bool:
    """A top-level heading about a year after the reviewed one opens the plan part, whatever it is
    called (「二、奋发图强、走在前列，全力实现2024年政府工作总体目标要求」)."""
    year = _YEAR.search(text)
    return year is not None and state.review_year is not None and int(year.group(1)) > state.review_year


def _is_other(text: str, part: str) -> bool:
    """Ceremony and structure, wherever they stand."""
    if (_ADDRESS.match(text) or _SIGN_OFF.match(text) or _CEREMONY.search(text) or _CONTEXT_YEAR.search(text)
            or _LEADER_SAID.search(text)):
        return True
    if part in (FRONT, REVIEW) and _IDEOLOGY_ONLY.match(text) and not _OUTCOME.search(text):
        return True
    if part != PLAN or _FUTURE.search(text):
        return False
    return _SLOGAN.search(text) is not None or (_PROPOSITION.search(text) is not None and not _admits_problem(text))


def _admits_problem(text: str) -> bool:
    """A problem word that is not the object of a fix (「补齐短板」 is an action, not an admission)."""
    return _SHORTCOMING.search(text) is not None and _SOLVING.search(text) is None


def _opens_problems(text: str) -> bool:
    """「我们也清醒地看到……问题」: an admission, not a plan to solve them nor a hurdle overcome."""
    if _PROBLEM_OPENER.search(text) is None or _FUTURE.search(text):
        return False
    if _CONCESSION.search(text):
        return True
    return _SOLVING.search(text) is None and _OUTCOME.search(text) is None


def _review_label(text: str) -> str:
    """Measure or outcome, by the guideline's tie-break: outcome when the unit reports a result
    with evidence or an effect claim (a count of work done stays a measure). Without such cues a
    unit that reports doing is a measure and one that states where things stand is an outcome."""
    if _OUTCOME.search(text) is None:
        core = _LEAD.sub("", text)
        doing = _ACTION_START.match(core) or _ACTOR_DOING.match(core) or _DOING_END.search(text)
        return "measure" if doing else "outcome"
    if _ACTIVITY_COUNT.search(text) and not _OUTCOME.search(_ACTIVITY_COUNT.sub("", text)):
        return "measure"
    return "outcome"


def _label_heading(text: str, state: _State) -> str:
    """A content heading takes the label of its part: review sub-headings are measures unless they
    claim an effect, problem sub-headings are shortcomings, plan sub-headings are plans."""
    if state.problem_run or state.part == PROBLEMS:
        return "shortcoming"
    if state.part == PLAN:
        return "plan"
    if state.part == REVIEW:
        return _review_label(text)
    return "other"


def _label_text(text: str, state: _State) -> str:
    """Label a body unit and advance the problem-run / plan-part state it may open or close."""
    if state.part == NOTES or not _CJK.search(text):
        return "other"
    if state.problem_run or state.part == PROBLEMS:
        return _label_in_problems(text, state)
    if _opens_problems(text):
        state.problem_run = True
        state.problems_seen = state.part in (FRONT, REVIEW)
        return "shortcoming"
    if _is_other(text, state.part):
        return "other"
    if state.part == PLAN:
        # Every task item of the plan part is a plan, whatever its grammar; only a look back
        # (「去年以来，……取得重要进展」) reports a result.
        return "outcome" if _LOOK_BACK.search(text) and _OUTCOME.search(text) else "plan"
    if _PLAN_OPENER.search(text):
        _enter_part(PLAN, 0, "", state)
        return "plan"
    if _FUTURE.search(text):
        return "plan"
    # The review, and a preamble that sums up the year's work (guideline, ``other``).
    return _review_label(text)


def _label_in_problems(text: str, state: _State) -> str:
    """Inside a problem run or part every unit is a shortcoming, until a closing plan
    (「对此，我们将……」) or, for an in-text run, a unit that reports a result again."""
    if _is_other(text, state.part):
        return "other"
    if _PROBLEM_CLOSER.search(text) and (_FUTURE.search(text) or not _admits_problem(text)):
        state.problem_run = False
        return "plan"
    if (state.problem_run and _heading_rank(text) != ITEM_RANK and _OUTCOME.search(text)
            and not _SHORTCOMING.search(text) and not _DOWNTURN.search(text)):
        state.problem_run = False  # a short aside on the year's difficulties is over
        return _label_text(text, state)
    return "shortcoming"


def _enter_heading(unit_text: str, state: _State) -> str:
    """Update the state at a heading and return its label."""
    if _SIGN_OFF.match(unit_text) or _CEREMONY.search(unit_text):
        return "other"
    rank = _heading_rank(unit_text)
    part = _heading_part(unit_text)
    if part is None and state.part == REVIEW and rank in (0, 1) and rank <= state.part_rank \
            and _names_later_year(unit_text, state):
        part = PLAN
    if part is not None:
        _enter_part(part, rank, unit_text, state)
        return "other"
    if rank == 0 and len(unit_text) <= MAX_LABEL_CHARS and not _ACTION_START.match(unit_text) \
            and not _OUTCOME.search(unit_text):
        return "other"  # a bare label: a law's title split off its line, a menu entry, a table caption
    if rank != ITEM_RANK:
        state.problem_run = False
        if state.part == FRONT and rank in (1, 2):
            # Reports open with the review, whatever its first section is called.
            _enter_part(REVIEW, rank, unit_text, state)
        # Problems close the review: the next section of the part's own rank is the plan.
        if (state.part == PROBLEMS or state.problems_seen) and state.part != PLAN and rank <= state.part_rank:
            _enter_part(PLAN, rank, "", state)
    return _label_heading(unit_text, state)


def _sync_with_path(section: tuple[str, ...], state: _State) -> None:
    """Adopt the part named in a unit's section path when the reader has not met its heading (rows
    that carry only some units of a document)."""
    if state.part != FRONT:
        return
    for heading in reversed(section):
        part = _heading_part(heading)
        if part is not None:
            _enter_part(part, _heading_rank(heading), heading, state)
            return


def label_units(units: list[Unit]) -> list[str]:
    """Labels for one document's units, given in reading order."""
    state = _State()
    labels: list[str] = []
    seen_body = False
    for unit in units:
        _sync_with_path(unit.section, state)
        if unit.kind == "chrome":
            labels.append("other")
        elif unit.kind == "heading":
            # Unnumbered lines before any body text are the report's title block.
            title = not seen_body and _heading_rank(unit.text) == 0 and _heading_part(unit.text) is None
            labels.append("other" if title else _enter_heading(unit.text, state))
        else:
            seen_body = True
            labels.append(_label_text(unit.text, state))
    return labels


def label_rows(rows: list[dict]) -> list[str]:
    """Labels for dataset rows (``doc_id, index, text, kind, section``), in the order given.

    Rows of several documents may be interleaved; each document's rows are labelled together in
    index order, since a unit's label depends on what came before it.
    """
    by_doc: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_doc[row["doc_id"]].append(i)
    labels: list[str] = [""] * len(rows)
    for doc_id, positions in by_doc.items():
        positions.sort(key=lambda i: rows[i]["index"])
        units = [Unit(doc_id, rows[i]["index"], rows[i].get("start") or 0, rows[i].get("end") or 0,
                      rows[i]["text"], rows[i]["kind"], None, tuple(rows[i].get("section") or ()))
                 for i in positions]
        for i, label in zip(positions, label_units(units)):
            labels[i] = label
    return labels


def write_silver(docs: Iterable[Document], path: str | Path) -> int:
    """Label every unit of every document and write standoff JSONL sorted by (doc_id, start).

    Returns the number of records written.
    """
    guideline = guideline_version()
    records = []
    for doc in docs:
        units = segment(doc.text, doc.doc_id)
        for unit, label in zip(units, label_units(units)):
            records.append({"doc_id": doc.doc_id, "start": unit.start, "end": unit.end,
                            "sha1": span_hash(doc.text[unit.start:unit.end]), "label": label,
                            "annotator": ANNOTATOR, "guideline": guideline})
    records.sort(key=lambda r: (r["doc_id"], r["start"]))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return len(records)
