"""Dates of listing and digest pages (FORMAT.md section 2): numeric months, 24-hour hours with AM/PM,
bullets before gallery headlines, undated home-page items. All times are Beijing time."""

from __future__ import annotations

from datetime import datetime

import pytest

from core.model import BEIJING
from core.parsing import parse_page
from core.parsing.common import parse_date_line


def bj(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING)


@pytest.mark.parametrize(
    ("line", "expected", "bullet", "section"),
    [
        ("01 11, 2021 15:11 PM", bj(2021, 1, 11, 15, 11), False, ""),  # numeric month first, 24-hour + PM
        ("12 10, 2020 04:25 AM", bj(2020, 12, 10, 4, 25), False, ""),
        ("1 5, 2021 09:00 PM", bj(2021, 1, 5, 21, 0), False, ""),
        ("09 03, 2020 12:05 AM", bj(2020, 9, 3, 0, 5), False, ""),  # 12 AM is midnight
        ("Jul 11, 2019 19:40 PM", bj(2019, 7, 11, 19, 40), False, ""),  # 24-hour + PM keeps 19:40
        ("Jul 11, 2019 07:40 PM", bj(2019, 7, 11, 19, 40), False, ""),
        ("Jul 11, 2019 12:40 PM", bj(2019, 7, 11, 12, 40), False, ""),
        ("Jul 11, 2019 00:15 AM", bj(2019, 7, 11, 0, 15), False, ""),
        ("Jul 11, 2019 19:40", bj(2019, 7, 11, 19, 40), False, ""),  # 24-hour, no AM/PM
        ("Sept. 3, 2019 10:02 a.m.", bj(2019, 9, 3, 10, 2), False, ""),
        ("Aug 10, 2018 03:05 PM / Business & tech", bj(2018, 8, 10, 15, 5), False, "Business & Tech"),
        ("• Jul 11, 2019 07:40 PM", bj(2019, 7, 11, 19, 40), True, ""),
        ("· 12 10, 2020 04:25 AM", bj(2020, 12, 10, 4, 25), True, ""),
        ("- 01 11, 2021 15:11 PM", bj(2021, 1, 11, 15, 11), True, ""),
        ("* Jun 30, 2019 19:40 PM", bj(2019, 6, 30, 19, 40), True, ""),
    ],
)
def test_date_line_forms(line: str, expected: datetime, bullet: bool, section: str) -> None:
    assert parse_date_line(line) == (expected, bullet, section)


@pytest.mark.parametrize(
    "line",
    [
        "13 10, 2020 04:25 AM",  # no month 13
        "Feb 30, 2020 01:00 PM",
        "Jul 11, 2019 25:40 PM",
        "Jul 11, 2019 10:60 AM",
        "Foo 11, 2019 10:00 AM",
        "Jul 11 2019 10:00 AM",
        "Jul 11, 2019",  # a listing date has a time
        "By Dave Yin / Jul 11, 2019 07:40 PM / World",  # a byline, not a date line
        "Saturday, Feb. 15, 9:00 p.m.",  # a live-blog stamp
        "The forum opened on Jul 11, 2019 19:40 PM in Beijing.",
        "",
    ],
)
def test_not_a_date_line(line: str) -> None:
    assert parse_date_line(line) is None


def listing(*items: str) -> str:
    return "China Belt & Road News - Caixin Global\n\nBELT & ROAD\n\n" + "\n\n".join(items) + "\n"


def test_24_hour_forms_in_a_listing() -> None:
    text = listing(
        "Laos Railway Opens to Passengers\nThe line cost $6 billion.\n01 11, 2021 15:11 PM",
        "Policy Banks Cut Overseas Loans\nNew loans fell again.\n12 10, 2020 04:25 AM",
        "Forum Ends With Deals\nXi promised greener projects.\nJul 11, 2019 19:40 PM",
    )
    result = parse_page(text, "belt.txt")
    assert result.report.shape == "listing"
    assert [e.published_at for e in result.listings] == [
        bj(2021, 1, 11, 15, 11),
        bj(2020, 12, 10, 4, 25),
        bj(2019, 7, 11, 19, 40),
    ]
    assert all(e.published_at is not None and e.published_at.utcoffset() == BEIJING.utcoffset(None)
               for e in result.listings)
    assert [e.group for e in result.listings] == ["Belt & Road"] * 3
    assert result.listings[0].to_json_dict()["published_at"] == "2021-01-11T15:11:00+08:00"


def test_items_without_summary_and_a_date_line_naming_a_section() -> None:
    text = listing(
        "In Depth: The Port That Could Not Pay\n09 03, 2020 12:05 AM / Economy",
        "Forum Ends With Deals\nXi promised greener projects.\nJul 11, 2019 19:40 PM",
    )
    first, second = parse_page(text).listings
    assert (first.summary, first.published_at, first.group) == ("", bj(2020, 9, 3, 0, 5), "Economy")
    assert (second.summary, second.group) == ("Xi promised greener projects.", "Belt & Road")


def test_gallery_bullets_date_the_item_below() -> None:
    text = "GALLERY\n\n• Jul 11, 2019 07:40 PM\nIn Pictures: Garbage Sorting\nResidents queue.\n\n" \
           "• Jun 30, 2019 19:40 PM\nIn Pictures: Handover Day\n"
    result = parse_page(text, "gallery.txt")
    assert result.report.shape == "listing"
    assert [(e.headline, e.published_at, e.summary) for e in result.listings] == [
        ("In Pictures: Garbage Sorting", bj(2019, 7, 11, 19, 40), "Residents queue."),
        ("In Pictures: Handover Day", bj(2019, 6, 30, 19, 40), ""),
    ]
    assert [e.line for e in result.listings] == [4, 8]
    assert result.report.roles["listing_date"] == 2 and result.report.unknown == []


def test_home_page_leaves_its_first_items_undated() -> None:
    text = (
        "Caixin Global – Latest China News & Headlines\n\nTOP STORIES\n\n"
        "Ant Group Reshuffle Puts Regulators First\nThe fintech giant becomes a holding company.\n\n"
        "Beijing Tightens Covid Rules Before New Year\n\n"
        "ECONOMY\n\n"
        "Economy Grew 2.3% in 2020\nGrowth sped up in the fourth quarter.\nJan 18, 2021 10:00 AM\n\n"
        "Provinces Cut Growth Targets\nSix provinces set lower goals.\n01 17, 2021 21:30 PM\n"
    )
    entries = parse_page(text).listings
    assert [(e.published_at, e.group) for e in entries] == [
        (None, "Top Stories"),
        (None, "Top Stories"),
        (bj(2021, 1, 18, 10, 0), "Economy"),
        (bj(2021, 1, 17, 21, 30), "Economy"),
    ]
    assert entries[1].summary == ""
    assert [e.to_json_dict()["published_at"] for e in entries[:2]] == [None, None]


def test_a_date_with_no_item_is_reported_not_dropped() -> None:
    text = "Forum Opens in Beijing\nJul 11, 2019 19:40 PM\nJul 12, 2019 10:00 AM\n\nForum Ends\nJul 13, 2019 09:00 AM\n"
    result = parse_page(text)
    assert result.report.shape == "listing"
    assert [e.headline for e in result.listings] == ["Forum Opens in Beijing", "Forum Ends"]
    assert result.report.unknown == [(3, "Jul 12, 2019 10:00 AM")]
    assert result.report.balanced


def test_digest_dates_under_the_headline() -> None:
    text = (
        "Weekly Must-Read: Exports\n\nFinance /\n\n"
        "1. Ant Group Reshuffle Puts Regulators First\nJan 14, 2021 06:10 PM\nAnt Group is restructuring.\n\n"
        "2. Evergrande Unit Scraps Listing Plan\n01 20, 2021 21:05 PM\nThe developer withdrew.\n\n"
        "3. Cabinet Unveils Rural Consumption Plan\nThe State Council called for more sales.\n"
    )
    entries = parse_page(text).listings
    assert [(e.headline, e.published_at) for e in entries] == [
        ("Ant Group Reshuffle Puts Regulators First", bj(2021, 1, 14, 18, 10)),
        ("Evergrande Unit Scraps Listing Plan", bj(2021, 1, 20, 21, 5)),
        ("Cabinet Unveils Rural Consumption Plan", None),
    ]
    assert {e.group for e in entries} == {"Finance"}


@pytest.mark.parametrize(
    ("furniture", "group"),
    [
        ("China Belt & Road News - Caixin Global", "Belt & Road"),
        ("Coronavirus Outbreak News - Caixin Global", "Coronavirus Outbreak"),
        ("Home > Economy > Trade War", "Trade War"),
        ("FINANCE", "Finance"),
        ("China News in Real Time - From Caixin Global", ""),
        ("Caixin Global – Latest China News & Headlines", ""),
    ],
)
def test_the_group_of_a_listing_comes_from_its_title_breadcrumb_or_label(furniture: str, group: str) -> None:
    text = f"{furniture}\n\nForum Ends With Deals\nXi promised greener projects.\nJul 11, 2019 19:40 PM\n\n" \
           "Laos Railway Opens\nJan 11, 2021 09:00 AM\n"
    result = parse_page(text)
    assert result.report.shape == "listing"
    assert [e.group for e in result.listings] == [group, group]
    assert result.report.roles["furniture"] == 1
