"""The source policy (actions/sources.py): https pages from the reviewed list of publishers only."""

import pytest
import yaml

from actions.sources import PUBLISHERS_FILE, publisher_of, source_problem


@pytest.mark.parametrize(
    "url",
    [
        "https://www.uscis.gov/humanitarian/abused-spouses-children-and-parents",
        "https://uscode.house.gov/view.xhtml?req=granuleid:USC-prelim-title8-section1367",
        "https://www.ecfr.gov/current/title-8/section-214.11",
        "https://www.fns.usda.gov/snap/obbb-alien-eligibility",
        "https://humantraffickinghotline.org/about-us/what-we-do",
        "https://www.womenslaw.org/laws/federal",
        "https://www.cdss.ca.gov/benefits-services",  # a state agency: any *.gov
    ],
)
def test_official_pages_are_accepted(url):
    assert source_problem(url) is None


@pytest.mark.parametrize(
    "url, problem",
    [
        ("http://www.dhs.gov/continued-presence", "https://"),
        ("ftp://www.uscis.gov/file", "https://"),
        ("https://www.visaverge.com/news", "not on the reviewed list"),
        ("https://en.wikipedia.org/wiki/T_visa", "not on the reviewed list"),
        ("https://docs.formize.com/i-918supbinstr", "not on the reviewed list"),
        ("https://d1tvxue8o4w0fl.cloudfront.net/statute/8-1367", "not on the reviewed list"),
        ("https://demo.womenslaw.org/laws/federal", "not on the reviewed list"),
        ("https://longbeachimmigrationlawfirm.com/u-visa", "not on the reviewed list"),
        ("https://uscis.gov.example.com/", "not on the reviewed list"),  # .gov only as the real suffix
        ("https://user:pw@www.uscis.gov/", "plain https"),
        ("https://www.uscis.gov:8443/", "plain https"),
        ("", "empty"),
    ],
)
def test_other_pages_are_refused_with_a_reason(url, problem):
    assert problem in (source_problem(url) or "")


def test_every_listed_publisher_has_a_one_line_reason():
    data = yaml.safe_load(PUBLISHERS_FILE.read_text(encoding="utf-8"))
    assert data["reviewed"]
    for publisher in data["publishers"]:
        assert publisher["host"] and publisher["reason"].strip(), publisher
        assert "\n" not in publisher["reason"].strip(), publisher


def test_www_is_the_same_publisher():
    assert publisher_of("https://thehotline.org/") == publisher_of("https://www.thehotline.org/") == "thehotline.org"
