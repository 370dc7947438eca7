"""Deterministic generator of synthetic saved Caixin Global live-feed pages (FORMAT.md section 1).

The corpus is meant for benchmarks: the same arguments always give byte-identical files. Every page is a
live feed: header furniture, sometimes a ``LATEST`` headline list, story blocks newest first, and footer
furniture, with the variations of FORMAT.md section 1 in roughly realistic proportions (agency bylines,
Oxford commas, swapped name orders, cut-off pages, CRLF, BOM, duplicate stories across pages, ...).

``stories`` counts every block written, duplicates included: about 2% of blocks repeat, verbatim, a story
from the end of the previous page (overlapping saves of the same feed). The full version is repeated even
when the previous page was cut off inside it.

Usage: ``python -m bench.corpus OUT_DIR --stories 100000 [--seed 0] [--per-page 20]``
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

__all__ = ["generate_corpus", "generate_page", "generate_hostile_page"]

CORPUS_START = datetime(2015, 1, 1, 0, 0)
CORPUS_END = datetime(2024, 12, 31, 23, 59)
_MON = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
_MONTHS = ("January February March April May June July August September October November December").split()
_WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()

# --------------------------------------------------------------------------------------------- vocabulary
def _split(text: str, sep: str = "|") -> list[str]:
    """Split a wrapped ``sep``-separated literal into whitespace-normalised items."""
    return [item for item in (" ".join(part.split()) for part in text.split(sep)) if item]


_FUNCTION = """the of to and a in that for on is said with as by was it its at from has have be are will an but not
this which were had more than been also after their would over about they up year who or new could into billion
percent other last some can while most such one two first may""".split()
_CONTENT = """market company government bank trade policy growth investment economy official industry price rate demand
export import data report investor fund debt loan credit property developer sale share stock bond yuan dollar
tariff consumer production factory output supply chain technology chip network phone smartphone platform user app
internet regulator ministry commission court law rule lawmaker province city county village resident worker wage
job employment student school university hospital patient vaccine virus health outbreak energy oil coal gas power
solar wind battery vehicle car electric airline flight airport railway port shipping container steel copper iron
aluminum metal food pork grain soybean farmer harvest weather flood drought pollution emission carbon climate water
river project plan target reform measure support subsidy tax revenue profit loss quarter month week analyst
economist expert researcher scientist study survey index manager executive founder chairman president minister
spokesperson leader agency firm group startup unit subsidiary partner rival customer deal agreement contract talk
negotiation dispute tension sanction restriction ban license approval listing offering valuation capital equity
asset liability reserve deposit lending mortgage insurance pension security risk crisis recovery slowdown stimulus
inflation deflation currency exchange volume border diplomat embassy visit summit meeting forum statement interview
press conference campaign election party committee congress council army navy military defense missile satellite
space rocket mission launch research experiment discovery engine robot software hardware cloud service content
video game film music artist audience ticket tourism travel hotel restaurant retail store mall brand fashion luxury
sport team player coach league match tournament stadium fan medal athlete olympic police case trial lawyer judge
prosecutor charge fraud corruption bribery investigation probe penalty fine violation complaint protest activist
right freedom censorship media newspaper journalist post account comment topic debate opinion public social family
child parent marriage population birth aging migrant housing rent land construction infrastructure highway bridge
tunnel pipeline""".split()
_SUFFIXES = ("s", "ed", "ing", "er", "al", "ly", "ment", "ness", "ity", "ist", "ize", "less")


def _derive(stem: str, suffix: str) -> str:
    """Attach an English-ish suffix to ``stem`` (``trade`` + ``ing`` -> ``trading``)."""
    if stem.endswith("e") and suffix[0] in "aeiouy":
        stem = stem[:-1]
    elif stem.endswith("y") and suffix not in ("ing", "s"):
        stem = stem[:-1] + "i"
    return stem + suffix


# Function words, then content words, then derived forms: a Zipf weight 1/rank over about 4,000 distinct
# words makes ``the`` common and most derived forms rare, as in real text.
_VOCAB = list(dict.fromkeys(_FUNCTION + _CONTENT + [_derive(w, s) for s in _SUFFIXES for w in _CONTENT]))
_CUM = list(itertools.accumulate(1.0 / (r + 1) for r in range(len(_VOCAB))))

# ----------------------------------------------------------------------------------------------- people
_SURNAMES = """Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Luo Gao Zheng Liang Xie
Song Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Pan Yuan Cai Jiang Yu Du Ye Cheng Wei Su Lu Ding Ren Shen Yao
Qian Fan Jin Shi Qing Teng Kang""".split()
_GIVEN = """Kaixi Meilin Ziyi Qiuyu Zhenhua Yingzhe Runhua Ying Jing Yi Ge Wei Xin Yue Hui Lei Tao Jie Ning Xiaoming
Yutong Xinyi Hongyu Zihan Haoran Siyu Jiayi Yuxuan Ruoxi Mingzhe Shuang Qian Rui Bo Chen Lin Fei Jiaxin Tianyi
Zhiyuan Yiming Wenjing Xueqing Yuanyuan Lingling Shuhui Dongmei Jianguo Guoqing""".split()
_FIXED_NAMES = _split("""Matthew Walsh|Dave Yin|Timmy Shen|Tanner Brown|Tianyu M. Fang|Teng Jing Xuan|Denise Jia|
Michael Bellart|Doug Young|Flynn Murphy|Lin Jinbing|Cai Xuejiao|Kelly Wang|Luo Meihan|Anniek Bao|Sarah Dai|Wu Haiyan|
Mo Yelin|Jason Tan|Bertram Lang|Heather Mowbray|Ryan McMorrow|Ke Dawei|Noelle Mateer|Evelyn Yu|Jonathan R. Cheng|
Kelsey Cheng|Fran Wang|Zhang Yuzhe""")
_SAMPLE_NAMES = _split("""Huang Kaixi|Zhou Meilin|Tang Ziyi|Ren Qiuyu|Zhao Runhua|Lu Zhenhua|Guo Yingzhe|Han Wei|
Yang Ge|Qing Ying|Ding Yi|Wang Jing""")


def _build_reporters() -> list[str]:
    """About 150 distinct reporter names; prolific ones (Matthew Walsh first) come first."""
    rng = random.Random(2019)
    names = list(_FIXED_NAMES)
    for name in _SAMPLE_NAMES:
        names.insert(rng.randint(1, 12), name)
    while len(names) < 150:
        name = f"{rng.choice(_SURNAMES)} {rng.choice(_GIVEN)}"
        if name not in names:
            names.append(name)
    return names


_REPORTERS = _build_reporters()
_REP_CUM = list(itertools.accumulate(1.0 / (r + 3) ** 0.8 for r in range(len(_REPORTERS))))
# Chinese-style names that some pages print in Western order (Zhao Runhua / Runhua Zhao).
_SWAPPABLE = {n for n in _REPORTERS[:70] if n.split()[0] in _SURNAMES and len(n.split()) == 2}
_OFFICIALS = _split("""Geng Shuang|Zhao Lijian|Wang Wenbin|Gao Feng|Yi Gang|Liu He|Li Keqiang|Ren Zhengfei|
Meng Wanzhou|Robert Lighthizer|Steven Mnuchin|Justin Trudeau|Guo Shuqing|Pan Gongsheng|Zhou Xiaochuan|Mao Ning|
Kristalina Georgieva|Gianni Infantino|Chen Yulu|Hua Chunying""")
_COMPANIES = _split("""Huawei|ZTE|ByteDance|Tencent|Alibaba|Baidu|Xiaomi|China Mobile|PetroChina|Sinopec|
China Evergrande|Country Garden|Ant Group|Didi|BYD|CATL|SMIC|ICBC|Bank of China|Ping An""")
_CITIES = "Beijing Shanghai Shenzhen Guangzhou Wuhan Chengdu Hangzhou Chongqing Tianjin Xi’an Nanjing".split()
_COUNTRIES = _split("Canada|the U.S.|Japan|Germany|Brazil|Australia|the U.K.|India|Russia|Indonesia")
_ZH = [("involution", "内卷"), ("lying flat", "躺平"), ("common prosperity", "共同富裕"),
       ("dual circulation", "双循环"), ("Belt and Road", "一带一路"), ("996", "九九六")]

# --------------------------------------------------------------------------------------------- topics
# name: (weight, home section, coverage link subject or "", filler subjects, sentences, headlines)
_TOPIC_TABLE = {
    "trade": (14, "Economy", "the trade war", "Tariffs|The trade war|Washington|Beijing", """
The U.S. said on {day} it would impose additional tariffs of {pct} on a further ${n} billion of Chinese goods,
escalating the trade war.|China’s Ministry of Commerce said tariffs hurt both sides and urged Washington to remove all
punitive tariffs if a deal is reached.|Exporters in {city} said the trade war had cut new orders by {pct} since {mon}.|
“A tariff is a tax on our own consumers,” {p} said, adding that the trade talks would resume.""", """China Hits Back
With Tariffs on ${n} Billion of U.S. Goods|Trade War Weighs on {city} Factories|U.S. and China Agree to Restart Trade
Talks|Tariff Truce Lifts Soybean Shipments"""),
    "huawei": (9, "Business & Tech", "Huawei", "Huawei|The company|Ren Zhengfei", """Huawei said on {day} that its
revenue rose {pct} despite being placed on the U.S. entity list.|Washington has urged allies including {c} to exclude
Huawei equipment from their networks.|Huawei denies that its systems could be compromised by the Chinese state.|
Huawei chief financial officer Meng Wanzhou was detained in Vancouver in December 2018.""", """Huawei Woos Tech
World With ${n} Million and 5G Secrets|TSMC Denies U.S. Pressure to Cut Huawei Chip Sales|Huawei Revenue Grows {pct}
Despite U.S. Ban"""),
    "5g": (5, "Business & Tech", "", "5G|Carriers|China Mobile", """China’s carriers plan to build {n},000 5G base
stations by the end of {mon}.|The rollout of 5G networks in {c} has been delayed by security concerns about Chinese
vendors.|{co} said 5G subscribers reached {n} million, more than analysts expected.""", """China Issues 5G Licenses
Ahead of Schedule|5G Phone Sales Jump {pct}"""),
    "tiktok": (4, "Business & Tech", "", "TikTok|ByteDance|The app", """TikTok, owned by ByteDance, has been
downloaded more than {n} million times in {c}.|U.S. senators said TikTok may be a national security threat and should
be investigated.|ByteDance said TikTok stores U.S. user data outside China.""", """TikTok Hires Local Law Firm for
Policy Advice|ByteDance Weighs TikTok Options"""),
    "canada": (4, "World", "Huawei", "Canada|Ottawa|Meng Wanzhou", """“We urge the Canadian government to release
Ms. Meng Wanzhou at once,” {p} said.|China stopped accepting Canadian canola shipments and banned Canadian meat
imports.|Canada said it would decide on Huawei’s role in its 5G networks after the election.""", """China Resumes
Canadian Meat Imports|Meng Wanzhou Extradition Hearing Resumes"""),
    "diplomacy": (10, "World", "", "Beijing|The foreign ministry|The two countries", """Foreign ministry spokesperson
{p} said at a regular press conference on {day} that China opposes interference in its internal affairs.|President Xi
Jinping will pay a state visit to {c} next {mon}, the official Xinhua News Agency said.|Relations between China and
{c} have chilled since {yr}, according to, the state-run newspaper.""", """Xi and Trump Agree to Restart Trade Talks|
China Warns Citizens of Risks in {c}|Beijing Summons {c} Envoy"""),
    "energy": (7, "Economy", "", "Oil imports|Refiners|Coal output", """China’s crude oil imports rose {pct} in {mon},
customs data showed.|{co} said it would cut refinery runs after a drone attack halved Saudi supplies.|Coal output in
the province fell {pct} as safety inspections intensified.""", """PetroChina Pulls Back from Venezuela Oil as U.S.
Sanctions Tighten|Coal Prices Hit {n}-Year High"""),
    "science": (6, "Society & Culture", "", "Scientists|The researchers|The study", """Chinese scientists have
developed a method of folding graphene with atomic-level precision.|The findings, published {day} in the journal
Science, could pave the way for new processors.|The Chang’e probe landed on the far side of the moon, the space
agency said.""", "Chinese Scientists Fold Graphene Like Origami|China’s Mars Rover Sends First Images"),
    "sports": (4, "Society & Culture", "", "FIFA|The tournament|The league", """FIFA awarded China the right to host
the first expanded Club World Cup, with {n} teams taking part.|The Chinese Super League capped player salaries at {n}
million yuan a season.|Fans in {city} queued for hours to buy tickets for the match.""", """FIFA Picks China for
Expanded Club World Cup|What China’s Naturalized Athletes Reveal About Its Immigration Policy"""),
    "markets": (16, "Finance", "", "Stocks|The yuan|Investors|Bond yields", """The benchmark Shanghai Composite Index
closed up {pct} on {day}, led by financial shares.|The yuan weakened past 7 per dollar for the first time since
{yr}.|{co} raised {n} billion yuan in its Hong Kong listing, the largest offering this {mon}.|By the end of {mon},
outstanding yuan loans had grown {pct} from a year earlier.""", """Yuan Slides to {n}-Month Low|{co} Prices Hong Kong
IPO at Top of Range|Charts of the Day: Margin Debt Hits Record"""),
    "economy": (12, "Economy", "", "China’s economy|Growth|Factory activity", """China’s GDP grew {pct} year-on-year in
the quarter, the National Bureau of Statistics said.|The Caixin China General Manufacturing PMI rose to {n}.{n} in
{mon}, signaling expansion.|Economists expect more stimulus as consumer spending slows.""", """China’s Growth Slows
to {pct}|Caixin PMI: Manufacturing Rebounds in {mon}"""),
    "rights": (4, "Politics & Law", "", "Rights groups|Activists|Lawyers", """Rights groups condemned the decision,
citing human rights concerns in Xinjiang.|The court in {city} sentenced the human rights lawyer to {n} years in
prison.|The government has consistently denied accusations of rights violations.""", """Human Rights Lawyer
Sentenced in {city}|U.S. Sanctions Officials Over Human Rights"""),
    "property": (8, "Finance", "China’s property market", "Developers|Home prices|China Evergrande", """New home
prices in {city} fell {pct} from a year earlier, official data showed.|{co} missed a coupon payment on ${n} million
of dollar bonds.|Regulators told banks to cap lending to developers under the “three red lines” policy.""", """
Evergrande Misses Bond Payment|Home Prices Fall in {n} Cities"""),
    "society": (7, "Society & Culture", "", "Young people|Netizens|Parents", """The term {en} ({zh}) has become a
buzzword among young people in {city}.|A hashtag about the case, #{zh}#, was viewed more than {n} million times on
Weibo.|China’s population fell for the first time since 1961, as births dropped {pct}.""", """The Three Most
Overrated China Travel Experiences|Why Young Chinese Are ‘Lying Flat’"""),
}
_TOPICS = [(home, cov, _split(subj), _split(sents), _split(heads))
           for _, home, cov, subj, sents, heads in _TOPIC_TABLE.values()]
_TOPIC_CUM = list(itertools.accumulate(t[0] for t in _TOPIC_TABLE.values()))
_SECTIONS = _split("World|Economy|Finance|Business & Tech|Politics & Law|Society & Culture|China|Trending Stories")
_SECTION_CUM = list(itertools.accumulate([22, 18, 18, 18, 8, 8, 6, 2]))
_SPELLINGS = {"Business & Tech": "Business & tech", "Politics & Law": "Politics & law"}
_CREDITS = _split("VCG|Xinhua|IC Photo|Visual China|Bloomberg|Caixin|Andrew Harrer/Bloomberg|Wei Yiyang/Caixin|"
                  "Qilai Shen/Bloomberg")
_CAPTIONS = _split("""Kristalina Georgieva|A container ship in {city}|Workers at a factory in {city}|People wait in
line outside the U.S. embassy in Beijing|{co} headquarters in {city}|Monaco Monte Carlo harbour french riviera""")
_TEASERS = _split("""Read the full story on Caixin Global later today.|Read the full story later on Caixin Global.|
Read the full piece on Caixin Global later today.""")
_COVERAGE = _split("""Read all of Caixin's coverage of {x} here.|View Caixin Global's full coverage of {x}|
See more of our {x} coverage here""")
_BLURBS = _split("""CX Tech is Caixin Global's real-time tech news portal, featuring 24-hour news, short-form
analysis, and roundups from business and tech media in China.|CX Live is Caixin Global's real-time news portal,
featuring breaking news and short-form analysis.""")


# ---------------------------------------------------------------------------------------------- pieces
def _fmt_time(t: datetime) -> str:
    """``Sep 18, 2019 04:41 PM``: zero-padded 12-hour clock."""
    return f"{_MON[t.month - 1]} {t.day:02d}, {t.year} {t.hour % 12 or 12:02d}:{t.minute:02d} " + (
        "AM" if t.hour < 12 else "PM")


def _reporter(rng: random.Random) -> str:
    name = rng.choices(_REPORTERS, cum_weights=_REP_CUM)[0]
    if name in _SWAPPABLE and rng.random() < 0.3:
        surname, given = name.split()
        name = f"{given} {surname}"
    return name


def _join(names: list[str], rng: random.Random) -> str:
    """``A``, ``A and B``, ``A, B and C`` or, with an Oxford comma, ``A, B, and C``."""
    if len(names) < 3:
        return " and ".join(names)
    return ", ".join(names[:-1]) + (", and " if rng.random() < 0.3 else " and ") + names[-1]


def _filler(rng: random.Random, subject: str = "") -> str:
    """A sentence of Zipf-distributed vocabulary, optionally opened by a topic subject."""
    words = rng.choices(_VOCAB, cum_weights=_CUM, k=rng.randint(10, 24))
    if rng.random() < 0.08:
        words.insert(len(words) // 2, "—")
    s = " ".join(words)
    if subject:
        return f"{subject} {s}."
    return s[0].upper() + s[1:] + "."


def _topic(rng: random.Random) -> tuple[str, str, list[str], list[str], list[str]]:
    return rng.choices(_TOPICS, cum_weights=_TOPIC_CUM)[0]


def _headline(rng: random.Random) -> str:
    """A headline (for ``Related:`` lines and LATEST lists) from a weighted random topic."""
    return rng.choice(_topic(rng)[4]).format(**_slots(rng, 2019))


def _slots(rng: random.Random, year: int) -> dict[str, object]:
    en, zh = rng.choice(_ZH)
    return {"p": rng.choice(_OFFICIALS), "n": rng.randint(2, 90), "pct": f"{rng.randint(1, 99) / 10}%",
            "mon": rng.choice(_MONTHS), "day": rng.choice(_WEEKDAYS), "c": rng.choice(_COUNTRIES),
            "co": rng.choice(_COMPANIES), "city": rng.choice(_CITIES), "yr": year, "en": en, "zh": zh}


def _story(rng: random.Random, when: datetime, section: str | None) -> str:
    """One story block: byline, photo lines, body paragraphs and trailers, joined by blank lines."""
    home, coverage, subjects, sentences, _ = _topic(rng)
    sentences = rng.sample(sentences, len(sentences))  # each topic sentence at most once per story
    section = section or home
    section = _SPELLINGS.get(section, section) if rng.random() < 0.2 else section
    slots = _slots(rng, when.year)
    r = rng.random()
    agency, reporters = "", list[str]()
    if r < 0.1:
        agency, author = ("Bloomberg" if rng.random() < 0.6 else "Reuters"), ""
    elif r < 0.13:
        author = ""
    else:
        reporters = list(dict.fromkeys(_reporter(rng) for _ in range(rng.choices((1, 2, 3, 4), (65, 25, 7, 3))[0])))
        author = _join(reporters, rng)
    author = agency or author
    prefix = "" if not author else rng.choices(("By ", "by ", ""), (90, 4, 6))[0]
    lines = [f"{prefix}{author}{' ' if author else ''}/ {_fmt_time(when)} / {section}"]
    r = rng.random()
    if r < 0.55:
        lines += ["Photo: VCG", "Photo: VCG"]
    elif r < 0.7:
        cap = f"{rng.choice(_CAPTIONS).format(**slots)}. Photo: {rng.choice(_CREDITS)}"
        lines += [cap, cap if rng.random() < 0.85 else cap[: rng.randint(8, len(cap) - 1)]]
    elif r < 0.75:
        cap = rng.choice(_CAPTIONS).format(**slots)
        lines += [cap, cap]
    body = len(lines)
    for i in range(rng.choices((3, 4, 5, 6, 7, 8), (10, 18, 22, 20, 16, 14))[0]):
        parts: list[str] = []
        for _ in range(rng.choices((1, 2, 3), (20, 50, 30))[0]):
            if not parts and sentences and (i == 0 or rng.random() < 0.45):
                parts.append(sentences.pop().format(**slots))
            elif rng.random() < 0.12:
                q = _filler(rng)
                parts.append(f"“{q[:-1]},” {slots['p']} said.")
            else:
                parts.append(_filler(rng, rng.choice(subjects) if rng.random() < 0.3 else ""))
        if i and rng.random() < 0.015:
            f = _filler(rng)
            parts.insert(0, f"By the end of {slots['mon']}, {f[0].lower()}{f[1:]}")
        lines.append(" ".join(parts))
    if agency and rng.random() < 0.7:
        lines[body] = f"({agency}) — " + lines[body]
    trailers = []
    if rng.random() < 0.25:
        trailers.append(rng.choice(_TEASERS))
    if rng.random() < 0.55:
        role = rng.choices(("reporter", "writer", "editor", "Reporter"), (75, 10, 10, 5))[0]
        who = (reporters or [_reporter(rng)]) + [_reporter(rng)]
        r = rng.random()
        if r < 0.1 and who[0] != who[1]:
            tail = f"{who[0]} ( and {who[1]} ("
        elif r < 0.3:
            tail = f"{who[0]} ({who[0].split()[-1].lower()}{rng.randint(1, 99)}@caixin.com)"
        elif r < 0.38:
            tail = f"{who[0]} (, Twitter: @{who[0].replace(' ', '').replace('.', '').lower()})"
        else:
            tail = f"{who[0]} ("
        trailers.append(f"Contact {role} {tail}")
    trailers += [f"Related: {_headline(rng)}" for _ in range(rng.choices((0, 1, 2, 3), (35, 45, 15, 5))[0])]
    if coverage and rng.random() < 0.15:
        trailers.append(rng.choice(_COVERAGE).format(x=coverage))
    if rng.random() < 0.25:
        rng.shuffle(trailers)
    lines += trailers
    return "\n\n".join(ln + " " * rng.choice((1, 1, 2)) if rng.random() < 0.03 else ln for ln in lines)


def _header(rng: random.Random) -> list[str]:
    """Furniture before the first block, sometimes followed by a LATEST headline list."""
    head = []
    if rng.random() < 0.85:
        head.append("Caixin Global – Latest China News & Headlines")
    if rng.random() < 0.6:
        head.append("Home >")
    if rng.random() < 0.45:
        head.append(rng.choice(_BLURBS))
    for line, p in (("China News in Real Time - From Caixin Global", 0.15), ("Caixin", 0.1), ("ABOUT US", 0.1)):
        if rng.random() < p:
            head.append(line)
    if rng.random() < 0.2:
        latest = [_headline(rng) for _ in range(rng.randint(14, 23))]
        latest.insert(rng.randint(0, len(latest)), "More " + _headline(rng))
        latest.insert(rng.randint(1, len(latest)), rng.choice(latest))
        head.append("\n".join((["LATEST"] if rng.random() < 0.7 else []) + latest))
    return head


def _cut(rng: random.Random, block: str) -> str:
    """Cut the last block of a page: mid-sentence, right after the byline or inside the byline."""
    byline = block.split("\n", 1)[0]
    r = rng.random()
    if r < 0.6 and len(block) > len(byline) + 60:
        pos = block.rfind(" ", 0, rng.randint(len(byline) + 40, len(block) - 1))
        return block[: max(pos, len(byline) + 1)].rstrip()
    if r < 0.85:
        return byline
    return byline[: byline.rfind(" / ") - rng.randint(1, 7)]


def _page(rng: random.Random, n_new: int, start: datetime, window: timedelta,
          carried: list[str]) -> tuple[str, list[str]]:
    """A page with ``carried`` blocks on top, then ``n_new`` stories in (start - window, start]."""
    feed = rng.choices(_SECTIONS, cum_weights=_SECTION_CUM)[0] if rng.random() < 0.6 else None
    secs = window.total_seconds()
    offsets = sorted(rng.random() * secs for _ in range(n_new))
    blocks = carried + [_story(rng, start - timedelta(seconds=o), feed if rng.random() < 0.85 else None)
                        for o in offsets]
    full = list(blocks)
    cut = bool(blocks) and rng.random() < 0.05
    if cut:
        blocks[-1] = _cut(rng, blocks[-1])
    out = "\n\n".join(_header(rng)) + "\n" * rng.choice((2, 3))
    for i, block in enumerate(blocks):
        if i:
            sep = "\n" * rng.choices((2, 3, 4), (25, 65, 10))[0]
            r = rng.random()
            if r < 0.05:
                label = rng.choices(_SECTIONS, cum_weights=_SECTION_CUM)[0].upper()
                sep += label + ("\n\nMore" if rng.random() < 0.3 else "") + "\n\n"
            elif r < 0.08:
                sep += "More\n\n"
            out += sep
        out += block
    if not cut:
        out += "\n\n\n" + "\n\n".join(line for line, p in (("Share this article", 0.7),
                                                          ("Open WeChat and scan the QR code", 0.6))
                                      if rng.random() < p)
    out += "\n"
    if rng.random() < 0.03:
        out = out.replace("\n", "\r\n")
    if rng.random() < 0.03:
        out = "\ufeff" + out
    return out, full


# ----------------------------------------------------------------------------------------------- public
def generate_page(rng: random.Random, n_stories: int, start_time: datetime,
                  window: timedelta | None = None) -> str:
    """One live-feed page of ``n_stories`` stories, the newest at or before ``start_time``.

    Stories are spread newest first over ``window`` (default: six hours per story).
    """
    return _page(rng, n_stories, start_time, window or timedelta(hours=6 * max(n_stories, 1)), [])[0]


def generate_corpus(out_dir: Path, stories: int, seed: int = 0, stories_per_page: int = 20) -> list[Path]:
    """Write ``page_00000.txt`` ... into ``out_dir`` (stale higher-numbered pages are removed).

    Pages cover consecutive time windows from the end of 2024 back to 2015, so the whole corpus spans
    2015-2024 whatever its size. Same arguments, same bytes.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    n_pages = -(-stories // stories_per_page)
    window = (CORPUS_END - CORPUS_START) / max(n_pages, 1)
    paths, previous = [], []
    for p in range(n_pages):
        n = min(stories_per_page, stories - p * stories_per_page)
        dups = min(sum(rng.random() < 0.02 for _ in range(n)), len(previous), n)
        text, previous = _page(rng, n - dups, CORPUS_END - p * window, window,
                               previous[len(previous) - dups:] if dups else [])
        path = out_dir / f"page_{p:05d}.txt"
        path.write_bytes(text.encode("utf-8"))
        paths.append(path)
    for stale in out_dir.glob("page_*.txt"):
        if stale.stem[5:].isdigit() and int(stale.stem[5:]) >= n_pages:
            stale.unlink()
    return paths


_HOSTILE = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "![x](http://127.0.0.1:9/t.png)",
            "[x](javascript:alert(1))", r"$\frac{a}{b}$", ":red[boom]"]


def generate_hostile_page() -> str:
    """A live-feed page whose body, caption and Related lines carry HTML, Markdown, LaTeX and Streamlit markup."""
    rng = random.Random(666)
    h = _HOSTILE
    blocks = [_story(rng, datetime(2021, 3, 2, 18, 30), "World")]
    blocks.append("\n\n".join([
        "By Matthew Walsh / Mar 02, 2021 10:15 AM / World",
        f"{h[1]} Huawei tariffs protest. Photo: VCG", f"{h[1]} Huawei tariffs protest. Photo: VCG",
        f"Huawei said {h[0]} the tariffs were unfair {h[2]} and the trade war {h[3]} would end.",
        f"The ratio {h[4]} rose — said {h[5]} analysts, while $5 billion and $10 billion were at stake.",
        f"“{h[0]}{h[1]},” Meng Wanzhou said. *bold* __under__ `code` <b>tag</b> &amp; &lt;",
        "Contact reporter Matthew Walsh (",
        f"Related: {h[0]} Huawei {h[5]}", f"Related: {h[2]} {h[3]} {h[4]}"]))
    blocks.append("\n\n".join([
        "By Bloomberg / Mar 01, 2021 09:05 PM / Business & Tech",
        f"{h[2]}. Photo: {h[3]}", f"{h[2]}. Photo: {h[3]}",
        f"(Bloomberg) — {h[3]} TikTok {h[5]} :blue[x] :material/home: {h[4]} $$x^2$$.",
        f"By the end of March, {h[1]} 5G <iframe src=javascript:alert(1)></iframe> subscribers grew.",
        f"Related: {h[1]} <a href=\"javascript:alert(1)\">click</a>"]))
    blocks.append(_story(rng, datetime(2021, 2, 27, 8, 0), "Economy"))
    head = ["Caixin Global – Latest China News & Headlines", "Home >",
            "LATEST\n" + "\n".join([f"{h[0]} Trade War Headline", f"More {h[5]} Tariffs", "Huawei 5G Plan"] * 5)]
    return "\n\n".join(head) + "\n\n\n" + "\n\n\n".join(blocks) + "\n\n\nShare this article\n"


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: write a corpus and print the number of files and total MB."""
    ap = argparse.ArgumentParser(prog="python -m bench.corpus", description=__doc__.splitlines()[0])
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--stories", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-page", type=int, default=20)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    paths = generate_corpus(args.out_dir, args.stories, args.seed, args.per_page)
    mb = sum(p.stat().st_size for p in paths) / 1e6
    print(f"{len(paths)} files, {mb:.1f} MB in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
