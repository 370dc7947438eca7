"""Deterministic generator of synthetic saved Caixin Global live-feed pages (FORMAT.md section 1).

For benchmarks: the same arguments give byte-identical files. Pages carry the variations of FORMAT.md section 1
in roughly realistic proportions. ``stories`` counts every block written; about 2% of blocks repeat verbatim
a story from the end of the previous page (overlapping saves of one feed), in full even if it was cut there.

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

CORPUS_START, CORPUS_END = datetime(2015, 1, 1, 0, 0), datetime(2024, 12, 31, 23, 59)
_MONTHS = "January February March April May June July August September October November December".split()
_WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()


def _split(text: str, sep: str = "|") -> list[str]:
    """Split a wrapped ``sep``-separated literal into whitespace-normalised items."""
    return [item for item in (" ".join(part.split()) for part in text.split(sep)) if item]


# -------------------------------------------------------------------------------------------------- people
_SURNAMES = "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo Lin Luo Gao Tang Han Cai Ding".split()
_GIVEN = "Kaixi Meilin Ziyi Qiuyu Zhenhua Yingzhe Runhua Ying Jing Yi Ge Wei Xin Yue Hui Lei Tao Jie Ning Rui".split()
# Real-looking bylines, most prolific first; random "Surname Given" names fill the pool up to 150.
_NAMED = _split("""Matthew Walsh|Huang Kaixi|Dave Yin|Tang Ziyi|Zhao Runhua|Timmy Shen|Lu Zhenhua|Han Wei|
Tanner Brown|Tianyu M. Fang|Ren Qiuyu|Guo Yingzhe|Yang Ge|Qing Ying|Ding Yi|Wang Jing|Zhou Meilin|Denise Jia|
Teng Jing Xuan|Michael Bellart|Doug Young|Flynn Murphy|Lin Jinbing|Cai Xuejiao|Kelly Wang|Luo Meihan|Sarah Dai|
Anniek Bao|Wu Haiyan|Mo Yelin|Jason Tan|Bertram Lang|Heather Mowbray|Ryan McMorrow|Ke Dawei|Noelle Mateer|
Evelyn Yu|Jonathan R. Cheng|Kelsey Cheng|Fran Wang|Zhang Yuzhe""")


def _build_reporters() -> list[str]:
    """150 distinct reporter names: ``_NAMED`` first, then seeded random Chinese-style names."""
    rng, names = random.Random(2019), list(_NAMED)
    while len(names) < 150:
        name = f"{rng.choice(_SURNAMES)} {rng.choice(_GIVEN)}"
        names += [name] if name not in names else []
    return names


_REPORTERS = _build_reporters()
_REP_CUM = list(itertools.accumulate(1.0 / (r + 3) ** 0.8 for r in range(len(_REPORTERS))))
# Chinese-style names that some pages print in Western order (Zhao Runhua / Runhua Zhao).
_SWAPPABLE = {n for n in _REPORTERS[:70] if n.split()[0] in _SURNAMES and len(n.split()) == 2}
_OFFICIALS = _split("""Geng Shuang|Zhao Lijian|Wang Wenbin|Gao Feng|Yi Gang|Liu He|Li Keqiang|Ren Zhengfei|
Meng Wanzhou|Robert Lighthizer|Steven Mnuchin|Justin Trudeau|Guo Shuqing|Pan Gongsheng|Kristalina Georgieva""")
_COMPANIES = _split("""Huawei|ZTE|ByteDance|Tencent|Alibaba|Baidu|Xiaomi|China Mobile|PetroChina|Sinopec|
China Evergrande|Country Garden|Ant Group|Didi|BYD|CATL|SMIC|ICBC|Bank of China|Ping An""")
_CITIES = _split("Beijing|Shanghai|Shenzhen|Guangzhou|Wuhan|Chengdu|Hangzhou|Chongqing|Tianjin|Xi’an|Nanjing")
_COUNTRIES = _split("Canada|the U.S.|Japan|Germany|Brazil|Australia|the U.K.|India|Russia|Indonesia")
_ZH = [("involution", "内卷"), ("lying flat", "躺平"), ("common prosperity", "共同富裕"),
       ("dual circulation", "双循环"), ("Belt and Road", "一带一路"), ("996", "九九六")]

# -------------------------------------------------------------------------------------------------- topics
# "## name weight home-section | coverage-link subject or - | filler subjects ::", "|"-separated sentence
# templates, "=>", headline templates; wrapped anywhere. Weights give the varied theme frequencies.
_TOPIC_TEXT = """
## trade 14 Economy | the trade war | Tariffs, The trade war, Washington, Beijing :: The U.S. said on {day} it
would impose tariffs of {pct} on a further ${n} billion of Chinese goods.|China’s Ministry of Commerce said
tariffs hurt both sides and urged Washington to remove all punitive tariffs.|Exporters in {city} said the
trade war had cut new orders by {pct} since {mon}.|“A tariff is a tax on our own consumers,” {p} said.|The
hashtag #中美贸易战# was viewed {n} million times on Weibo. => China Hits Back With Tariffs on ${n} Billion of U.S.
Goods|Trade War Weighs on {city} Factories|U.S. and China Agree to Restart Trade Talks
## huawei 9 Business & Tech | Huawei | Huawei, The company, Ren Zhengfei :: Huawei said its revenue rose {pct}
despite being placed on the U.S. entity list.|Washington has urged allies including {c} to exclude Huawei from
their networks.|Huawei chief financial officer Meng Wanzhou was detained in Vancouver in December 2018. =>
Huawei Woos Tech World With ${n} Million and 5G Secrets|TSMC Denies U.S. Pressure to Cut Huawei Chip Sales
## 5g 5 Business & Tech | - | 5G, Carriers, China Mobile :: China’s carriers plan to build {n},000 5G base
stations by {mon}.|5G rollout in {c} was delayed by security concerns.|{co} said 5G subscribers reached {n}
million. => China Issues 5G Licenses Ahead of Schedule|5G Phone Sales Jump {pct}
## tiktok 4 Business & Tech | - | TikTok, ByteDance, The app :: TikTok, owned by ByteDance, has been
downloaded more than {n} million times in {c}.|U.S. senators said TikTok may be a national security threat. =>
TikTok Hires Local Law Firm for Policy Advice|ByteDance Weighs TikTok Options
## canada 4 World | Huawei | Canada, Ottawa, Meng Wanzhou :: “We urge Canada to release Ms. Meng Wanzhou at
once,” {p} said.|China stopped accepting Canadian canola shipments and banned Canadian meat imports. => China
Resumes Canadian Meat Imports|Meng Wanzhou Extradition Hearing Resumes
## diplomacy 10 World | - | Beijing, The foreign ministry, The two countries :: Spokesperson {p} said China
opposes interference in its internal affairs.|President Xi Jinping will pay a state visit to {c} next {mon},
Xinhua said.|Relations with {c} have chilled since {yr}, according to, the state-run newspaper. => Xi and
Trump Agree to Restart Trade Talks|China Warns Citizens of Risks in {c}
## energy 7 Economy | - | Oil imports, Refiners, Coal output :: China’s crude oil imports rose {pct} in {mon},
customs data showed.|{co} said it would cut refinery runs after a drone attack halved Saudi supplies.|Coal
output fell {pct} as safety inspections intensified. => PetroChina Pulls Back from Venezuela Oil|Coal Prices
Hit {n}-Year High
## science 6 Society & Culture | - | Scientists, The researchers, The study :: Chinese scientists found a way
to fold graphene with atomic-level precision.|The findings were published {day} in Science.|The Chang’e probe
landed on the far side of the moon. => Chinese Scientists Fold Graphene Like Origami|China’s Mars Rover Sends
First Images
## sports 4 Society & Culture | - | FIFA, The tournament, The league :: FIFA awarded China the right to host
the first expanded Club World Cup, with {n} teams.|The Chinese Super League capped player salaries at {n}
million yuan. => FIFA Picks China for Expanded Club World Cup|What China’s Naturalized Athletes Reveal
## markets 16 Finance | - | Stocks, The yuan, Investors, Bond yields :: The Shanghai Composite Index closed up
{pct} on {day}, led by financial shares.|The yuan weakened past 7 per dollar for the first time since
{yr}.|{co} raised {n} billion yuan in its Hong Kong listing.|By the end of {mon}, outstanding yuan loans had
grown {pct} from a year earlier. => Yuan Slides to {n}-Month Low|{co} Prices Hong Kong IPO at Top of Range
## economy 12 Economy | - | China’s economy, Growth, Factory activity :: China’s GDP grew {pct} year-on-year
in the quarter.|The Caixin China General Manufacturing PMI rose to {n}.{n} in {mon}.|Economists expect more
stimulus as consumer spending slows. => China’s Growth Slows to {pct}|Caixin PMI: Manufacturing Rebounds in
{mon}
## rights 4 Politics & Law | - | Rights groups, Activists, Lawyers :: Rights groups condemned the decision,
citing human rights concerns in Xinjiang.|The court in {city} sentenced the human rights lawyer to {n} years
in prison. => Human Rights Lawyer Sentenced in {city}|U.S. Sanctions Officials Over Human Rights
## property 8 Finance | China’s property market | Developers, Home prices, China Evergrande :: New home prices
in {city} fell {pct} from a year earlier.|{co} missed a coupon payment on ${n} million of dollar
bonds.|Regulators told banks to cap lending to developers under the “three red lines” policy. => Evergrande
Misses Bond Payment|Home Prices Fall in {n} Cities
## society 7 Society & Culture | - | Young people, Netizens, Parents :: The term {en} ({zh}) has become a
buzzword among young people in {city}.|A hashtag about the case, #{zh}#, was viewed {n} million times on
Weibo.|China’s population fell for the first time since 1961. => Why Young Chinese Are ‘Lying Flat’
"""


def _parse_topics(text: str) -> tuple[list[tuple[str, str, list[str], list[str], list[str]]], list[int]]:
    """Topics as (home section, coverage subject, subjects, sentences, headlines), plus cumulative weights."""
    topics, weights = [], []
    for chunk in text.split("## ")[1:]:
        head, rest = " ".join(chunk.split()).split(" :: ")
        spec, coverage, subjects = head.split(" | ")
        _, weight, home = spec.split(" ", 2)
        sentences, headlines = rest.split("=>")
        topics.append((home, coverage.strip("-"), _split(subjects, ","), _split(sentences), _split(headlines)))
        weights.append(int(weight))
    return topics, list(itertools.accumulate(weights))


_TOPICS, _TOPIC_CUM = _parse_topics(_TOPIC_TEXT)
_SECTIONS = _split("World|Economy|Finance|Business & Tech|Politics & Law|Society & Culture|China|Trending Stories")
_SECTION_CUM = list(itertools.accumulate([22, 18, 18, 18, 8, 8, 6, 2]))
_SPELLINGS = {"Business & Tech": "Business & tech", "Politics & Law": "Politics & law"}
_CREDITS = _split("""VCG|Xinhua|IC Photo|Visual China|Bloomberg|Caixin|Andrew Harrer/Bloomberg|Wei Yiyang/Caixin|
Qilai Shen/Bloomberg""")
_CAPTIONS = _split("""Kristalina Georgieva|A container ship in {city}|Workers at a factory in {city}|{co} headquarters
in {city}|People wait in line outside the U.S. embassy in Beijing|Monaco Monte Carlo harbour french riviera""")
_TEASERS = _split("""Read the full story on Caixin Global later today.|Read the full story later on Caixin Global.|
Read the full piece on Caixin Global later today.""")
_COVERAGE = _split("""Read all of Caixin's coverage of {x} here.|View Caixin Global's full coverage of {x}|
See more of our {x} coverage here""")
_BLURBS = _split("""CX Tech is Caixin Global's real-time tech news portal, featuring 24-hour news, short-form
analysis, and roundups from business and tech media in China.|CX Live is Caixin Global's breaking news portal.""")
_HOSTILE = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "![x](http://127.0.0.1:9/t.png)",
            "[x](javascript:alert(1))", r"$\frac{a}{b}$", ":red[boom]"]


# ----------------------------------------------------------------------------------------------- vocabulary
_FUNCTION = """the of to and a in that for on is said with as by was it its at from has have be are will an
but not this which were had more than been also after their would over about they up year who or new could
into billion percent other last some can while most such one two first may""".split()
_CONTENT = """bank growth investment official industry price rate demand export import report investor fund
debt loan credit developer sale share stock bond production factory supply chain technology chip network phone
platform user internet regulator commission law rule lawmaker province county village resident worker wage job
employment student school university hospital patient vaccine virus health outbreak coal gas power solar wind
battery vehicle car electric airline flight airport railway port shipping container steel food farmer flood
pollution carbon climate water project target reform measure support subsidy profit loss month week analyst
economist expert researcher scientist survey index manager executive founder chairman president minister
leader agency firm group startup partner deal agreement contract dispute tension sanction ban license approval
capital risk crisis border diplomat embassy summit meeting statement election military research software
service travel team police trial charge fraud corruption investigation protest activist media journalist
public social family child parent housing""".split()
_SUFFIXES = "s ed ing er ers al ly ment ments ness ity ist ize less ive ism ful ship hood ian".split()


def _derive(stem: str, suffix: str) -> str:
    """Attach an English-ish suffix to ``stem`` (``charge`` + ``ing`` -> ``charging``)."""
    return (stem[:-1] if stem.endswith("e") and suffix[0] in "aeiouy" else stem) + suffix


# Function words, then content words, then derived forms, with Zipf weights 1/rank (derived forms damped)
# over about 3,000 distinct words: ``the`` is common, each derived form rare, as in real text.
_VOCAB = list(dict.fromkeys(_FUNCTION + _CONTENT + [_derive(w, s) for s in _SUFFIXES for w in _CONTENT]))
_N_BASE = len(set(_FUNCTION + _CONTENT))
_CUM = list(itertools.accumulate((1 if r < _N_BASE else 0.2) / (r + 1) for r in range(len(_VOCAB))))


# -------------------------------------------------------------------------------------------------- pieces
def _reporter(rng: random.Random) -> str:
    """A Zipf-weighted reporter name, sometimes in swapped order."""
    name = rng.choices(_REPORTERS, cum_weights=_REP_CUM)[0]
    return " ".join(name.split()[::-1]) if name in _SWAPPABLE and rng.random() < 0.3 else name


def _filler(rng: random.Random, subject: str = "") -> str:
    """A sentence of Zipf-distributed vocabulary, optionally opened by a topic subject."""
    words = rng.choices(_VOCAB, cum_weights=_CUM, k=rng.randint(12, 28))
    if rng.random() < 0.08:
        words.insert(len(words) // 2, "—")
    s = " ".join(words)
    return f"{subject} {s}." if subject else s[0].upper() + s[1:] + "."


def _slots(rng: random.Random, year: int) -> dict[str, object]:
    """Values for the ``{placeholders}`` of topic templates, fixed for one story."""
    en, zh = rng.choice(_ZH)
    return {"p": rng.choice(_OFFICIALS), "n": rng.randint(2, 90), "pct": f"{rng.randint(1, 99) / 10}%",
            "mon": rng.choice(_MONTHS), "day": rng.choice(_WEEKDAYS), "c": rng.choice(_COUNTRIES),
            "co": rng.choice(_COMPANIES), "city": rng.choice(_CITIES), "yr": year, "en": en, "zh": zh}


def _headline(rng: random.Random) -> str:
    """A headline (for ``Related:`` lines and LATEST lists) from a weighted random topic."""
    return rng.choice(rng.choices(_TOPICS, cum_weights=_TOPIC_CUM)[0][4]).format(**_slots(rng, 2019))


def _byline(rng: random.Random, when: datetime, section: str) -> tuple[str, list[str], str]:
    """The byline line (``By A, B, and C / Sep 18, 2019 04:41 PM / World``), its reporters and agency."""
    r, agency, reporters = rng.random(), "", list[str]()
    if r < 0.1:
        agency = "Bloomberg" if rng.random() < 0.6 else "Reuters"
    elif r >= 0.13:  # else 3% unsigned: "/ Jun 17, 2019 07:42 PM / World"
        reporters = list(dict.fromkeys(_reporter(rng) for _ in range(rng.choices((1, 2, 3, 4), (65, 25, 7, 3))[0])))
    if len(reporters) > 2:  # "A, B and C" or, with an Oxford comma, "A, B, and C"
        author = ", ".join(reporters[:-1]) + (", and " if rng.random() < 0.3 else " and ") + reporters[-1]
    else:  # "A", "A and B", an agency or nothing
        author = agency or " and ".join(reporters)
    prefix = rng.choices(("By ", "by ", ""), (90, 4, 6))[0] + author + " " if author else ""
    clock = f"{when.hour % 12 or 12:02d}:{when.minute:02d} {'AM' if when.hour < 12 else 'PM'}"
    return f"{prefix}/ {_MONTHS[when.month - 1][:3]} {when.day:02d}, {when.year} {clock} / {section}", reporters, agency


def _contact(rng: random.Random, reporters: list[str]) -> str:
    """A contact line; the e-mail is usually removed, leaving a dangling ``(``."""
    role = rng.choices(("reporter", "writer", "editor", "Reporter"), (75, 10, 10, 5))[0]
    who, r = (reporters or [_reporter(rng)]) + [_reporter(rng)], rng.random()
    if r < 0.1 and who[0] != who[1]:
        return f"Contact {role} {who[0]} ( and {who[1]} ("
    if r < 0.3:
        return f"Contact {role} {who[0]} ({who[0].split()[-1].lower()}{rng.randint(1, 99)}@caixin.com)"
    if r < 0.38:
        return f"Contact {role} {who[0]} (, Twitter: @{who[0].replace(' ', '').replace('.', '').lower()})"
    return f"Contact {role} {who[0]} ("


def _story(rng: random.Random, when: datetime, section: str | None, inject: str = "") -> str:
    """One block of byline, photo lines, paragraphs and trailers, joined by blank lines; ``inject`` (for the
    hostile page) is appended to the caption, every paragraph and every Related line."""
    home, coverage, subjects, sentences, _ = rng.choices(_TOPICS, cum_weights=_TOPIC_CUM)[0]
    sentences = rng.sample(sentences, len(sentences))  # each topic sentence at most once per story
    section = section or home
    section = _SPELLINGS.get(section, section) if rng.random() < 0.2 else section
    slots = _slots(rng, when.year)
    byline, reporters, agency = _byline(rng, when, section)
    lines, r = [byline], 0.0 if inject else rng.random()
    if r < 0.15:  # "<caption>. Photo: <credit>", the second copy sometimes cut short
        cap = f"{rng.choice(_CAPTIONS).format(**slots)}{inject}. Photo: {rng.choice(_CREDITS)}"
        lines += [cap, cap if rng.random() < 0.85 else cap[: rng.randint(8, len(cap) - 1)]]
    elif r < 0.7:
        lines += ["Photo: VCG", "Photo: VCG"]
    elif r < 0.75:  # caption pair without "Photo:"
        lines += [rng.choice(_CAPTIONS).format(**slots)] * 2
    body = len(lines)
    for i in range(rng.choices((3, 4, 5, 6, 7, 8), (10, 18, 22, 20, 16, 14))[0]):
        parts: list[str] = []
        if i and rng.random() < 0.015:  # a body line that starts with "By" but is no byline
            f = _filler(rng)
            parts.append(f"By the end of {slots['mon']}, {f[0].lower()}{f[1:]}")
        for _ in range(rng.choices((1, 2, 3), (15, 45, 40))[0]):
            if not parts and sentences and (i == 0 or rng.random() < 0.45):
                parts.append(sentences.pop().format(**slots))
            elif rng.random() < 0.12:
                parts.append(f"“{_filler(rng)[:-1]},” {slots['p']} said.")
            else:
                parts.append(_filler(rng, rng.choice(subjects) if rng.random() < 0.3 else ""))
        lines.append(" ".join(parts) + inject)
    if agency and rng.random() < 0.7:
        lines[body] = f"({agency}) — {lines[body]}"
    trailers = [rng.choice(_TEASERS)] if rng.random() < 0.25 else []
    if rng.random() < 0.55:
        trailers.append(_contact(rng, reporters))
    n_related = max(rng.choices((0, 1, 2, 3), (35, 45, 15, 5))[0], 2 if inject else 0)
    trailers += [f"Related: {_headline(rng)}{inject}" for _ in range(n_related)]
    if coverage and rng.random() < 0.15:
        trailers.append(rng.choice(_COVERAGE).format(x=coverage))
    if rng.random() < 0.25:
        rng.shuffle(trailers)
    lines += trailers
    return "\n\n".join(ln + " " * rng.choice((1, 1, 2)) if rng.random() < 0.03 else ln for ln in lines)


def _header(rng: random.Random) -> str:
    """Furniture before the first block, sometimes ending with a LATEST headline list."""
    head = [line for line, p in (("Caixin Global – Latest China News & Headlines", 0.85), ("Home >", 0.6),
                                 (rng.choice(_BLURBS), 0.45), ("China News in Real Time - From Caixin Global", 0.15),
                                 ("Caixin", 0.1), ("ABOUT US", 0.1)) if rng.random() < p]
    if rng.random() < 0.2:  # 15-25 headlines, one repeated, one starting with "More"
        latest = [_headline(rng) for _ in range(rng.randint(13, 23))]
        latest.insert(rng.randint(0, len(latest)), "More " + _headline(rng))
        latest.insert(rng.randint(1, len(latest)), rng.choice(latest))
        head.append("\n".join((["LATEST"] if rng.random() < 0.7 else []) + latest))
    return "\n\n".join(head) + "\n" * rng.choice((2, 3))


def _cut(rng: random.Random, block: str) -> str:
    """Cut a page's last block mid-sentence, right after its byline or inside the byline's date."""
    byline, r = block.split("\n", 1)[0], rng.random()
    if r < 0.6 and len(block) > len(byline) + 60:
        pos = block.rfind(" ", 0, rng.randint(len(byline) + 40, len(block) - 1))
        return block[: max(pos, len(byline) + 1)].rstrip()
    if r < 0.85:
        return byline
    return byline[: byline.rfind(" / ") - rng.randint(1, 7)]  # "... / Mar 16, 2020 10:58 A"


def _page(rng: random.Random, n_new: int, start: datetime, window: timedelta,
          carried: list[str]) -> tuple[str, list[str]]:
    """Page text and its uncut blocks: ``carried`` blocks on top, then ``n_new`` stories in the window."""
    feed = rng.choices(_SECTIONS, cum_weights=_SECTION_CUM)[0] if rng.random() < 0.6 else None
    offsets = sorted(rng.random() * window.total_seconds() for _ in range(n_new))
    blocks = carried + [_story(rng, start - timedelta(seconds=o), feed if rng.random() < 0.85 else None)
                        for o in offsets]
    full, cut = list(blocks), bool(blocks) and rng.random() < 0.05
    if cut:
        blocks[-1] = _cut(rng, blocks[-1])
    out = _header(rng)
    for i, block in enumerate(blocks):
        if i:
            out += "\n" * rng.choices((2, 3, 4), (25, 65, 10))[0]
            r = rng.random()
            if r < 0.05:  # upper-case section label, sometimes with a "More" line
                label = rng.choices(_SECTIONS, cum_weights=_SECTION_CUM)[0].upper()
                out += label + ("\n\nMore" if rng.random() < 0.3 else "") + "\n\n"
            elif r < 0.08:
                out += "More\n\n"
        out += block
    if not cut:
        footer = [ln for ln, p in (("Share this article", 0.7), ("Open WeChat and scan the QR code", 0.6))
                  if rng.random() < p]
        out += "\n\n\n" + "\n\n".join(footer)
    out = (out + "\n").replace("\n", "\r\n") if rng.random() < 0.03 else out + "\n"
    return ("\ufeff" + out if rng.random() < 0.03 else out), full


# -------------------------------------------------------------------------------------------------- public
def generate_page(rng: random.Random, n_stories: int, start_time: datetime,
                  window: timedelta | None = None) -> str:
    """One live-feed page of ``n_stories`` stories, newest first, spread over ``window`` (default: six hours
    per story) before ``start_time``."""
    return _page(rng, n_stories, start_time, window or timedelta(hours=6 * max(n_stories, 1)), [])[0]


def generate_corpus(out_dir: Path, stories: int, seed: int = 0, stories_per_page: int = 20) -> list[Path]:
    """Write ``page_00000.txt``, ... into ``out_dir`` and return their paths, in order.

    Page ``p`` covers the ``p``-th of consecutive equal time windows going back from the end of 2024 to
    2015, so any corpus spans 2015-2024. Stale higher-numbered ``page_*.txt`` files are removed.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    n_pages = -(-stories // stories_per_page)
    window = (CORPUS_END - CORPUS_START) / max(n_pages, 1)
    paths, previous = list[Path](), list[str]()
    for p in range(n_pages):
        n = min(stories_per_page, stories - p * stories_per_page)
        dups = min(sum(rng.random() < 0.02 for _ in range(n)), len(previous))
        text, previous = _page(rng, n - dups, CORPUS_END - p * window, window, previous[len(previous) - dups:])
        paths.append(out_dir / f"page_{p:05d}.txt")
        paths[-1].write_bytes(text.encode("utf-8"))
    for stale in sorted(out_dir.glob("page_[0-9][0-9][0-9][0-9][0-9].txt"))[n_pages:]:
        stale.unlink()
    return paths


def generate_hostile_page() -> str:
    """A live-feed page with HTML, Markdown, LaTeX and Streamlit markup in bodies, captions and Related lines."""
    rng, when = random.Random(666), datetime(2021, 3, 2, 18, 30)
    blocks = [_story(rng, when - timedelta(hours=5 * i), "World", " " + h)
              for i, h in enumerate([*_HOSTILE, " ".join(_HOSTILE)])]
    latest = "\n".join(["LATEST"] + [f"{_headline(rng)} {h}" for h in _HOSTILE * 3])
    return ("Caixin Global – Latest China News & Headlines\n\nHome >\n\n" + latest + "\n\n\n"
            + "\n\n\n".join(blocks) + "\n\n\nShare this article\n")


def main(argv: list[str] | None = None) -> int:
    """CLI: write a corpus, print the number of files, total MB and seconds."""
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
