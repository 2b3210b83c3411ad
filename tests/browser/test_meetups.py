"""An organizer plans a weekly meetup in a real browser, finds it on the calendars, prints flyers.

Every page visited gets the shared per-page checks (labels, no sideways scroll, no CSP
violation) and a screenshot under tests/screenshots/. The flyers are then checked as printed:
header and footer hidden, the QR code and the fediverse handle on the sheet, and the whole
flyer on one A4 or Letter page (measured at the paper's CSS width, and printed to a PDF).
"""

from __future__ import annotations

import re
import struct
import zlib
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from tests.browser.conftest import ADMIN_USERNAME, Tab
from tests.browser.pages import Steps, create_group, expect_flash, log_in
from tests.servers import HearthServer

pytestmark = pytest.mark.browser

ZONE = "America/Chicago"  # not the instance's zone (UTC): times must show in the meetup's own
PAPERS: dict[str, ViewportSize] = {
    "A4": {"width": 794, "height": 1123},  # 210 x 297 mm at 96 CSS px per inch
    "Letter": {"width": 816, "height": 1056},  # 8.5 x 11 in
}
PAGE_MARGIN_PX = 2 * round(12 / 25.4 * 96)  # the flyer's @page margin (12 mm), both sides
CONTENT_HEIGHT_JS = "() => document.scrollingElement.scrollHeight"
PDF_PAGE_COUNT = re.compile(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", re.DOTALL)


def cover_png(width: int = 960, height: int = 320) -> bytes:
    """A real PNG: a warm sunset gradient, for the meetup's cover image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(
        b"\x00" + bytes((250 - y // 4, 150 - y // 4, 60 + y // 8)) * width for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def tuesdays_from(start: date, count: int) -> list[date]:
    """``count`` Tuesdays, the first at least a week after ``start``."""
    first = start + timedelta(days=7 + (1 - start.weekday()) % 7)
    return [first + timedelta(weeks=i) for i in range(count)]


def last_sunday_of_march(after: date) -> date:
    """The next last Sunday of March (when Europe/Paris skips 02:00–03:00)."""
    year = after.year if after < date(after.year, 3, 25) else after.year + 1
    end = date(year, 3, 31)
    return end - timedelta(days=(end.weekday() + 1) % 7)


def short_day(day: date) -> str:
    """The date as the event pages print it: 'Tue 1 Dec', with the year when not this year."""
    year = "" if day.year == date.today().year else f" {day.year}"
    return f"{day:%a} {day.day} {day:%b}{year}"


def open_new_meetup_form(page: Page, slug: str) -> None:
    page.goto(f"/groups/{slug}")
    page.get_by_role("main").get_by_role("link", name="New meetup").click()
    expect(page).to_have_url(re.compile(f"/groups/{slug}/events/new$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("New meetup")


def fill_weekly_meetup(page: Page, first: date) -> None:
    """Tuesdays at 19:00 in ZONE, four times, at the library with coordinates for the map."""
    page.get_by_label("Title").fill("Bike repair evening")
    page.get_by_label("Description").fill("Bring your bike, we bring **tools** and tea.")
    page.get_by_label(re.compile(r"^Date\b")).fill(first.isoformat())
    page.get_by_label("Starts at").fill("19:00")
    page.get_by_label("Ends at").fill("21:00")
    page.get_by_label("Time zone").select_option(ZONE)
    # Only the options of the chosen repeat rule show (CSS :has(), no script).
    expect(page.get_by_label("Tue", exact=True)).to_be_hidden()
    page.get_by_label("How often").select_option("weekly")
    expect(page.get_by_label("Monthly on")).to_be_hidden()
    page.get_by_label("Tue", exact=True).check()
    page.get_by_label("Or this many times").fill("4")
    page.get_by_label("Place", exact=True).fill("Harold Washington Library, Room 3")
    page.get_by_label("Street address").fill("400 S State St")
    page.get_by_label("Postal code").fill("60605")
    page.get_by_label("Town or city").fill("Chicago")
    page.get_by_label("Country").fill("USA")
    page.get_by_label("Latitude").fill("41.8763")
    page.get_by_label("Longitude").fill("-87.6281")
    page.get_by_label("Tags").fill("bikes, repair")
    page.get_by_label("Cover image").set_input_files(
        {"name": "cover.png", "mimeType": "image/png", "buffer": cover_png()}
    )


def check_printed_flyer(tab: Tab, steps: Steps, name: str, handle: str) -> None:
    """As printed: no site chrome, QR and handle shown, one A4 and one Letter sheet."""
    page = tab.page
    page.emulate_media(media="print")
    try:
        for paper, size in PAPERS.items():
            # The printable area: the paper less the flyer's 12 mm margins. A short viewport
            # keeps `min-height: 100vh` from inflating the measured height.
            width, height = size["width"] - PAGE_MARGIN_PX, size["height"] - PAGE_MARGIN_PX
            page.set_viewport_size({"width": width, "height": 200})
            for hidden in (".site-header", ".site-footer", ".flyer-help", ".skip-link"):
                expect(page.locator(hidden)).to_be_hidden()
            expect(page.locator(".flyer-qr svg")).to_be_visible()
            box = page.locator(".flyer-qr svg").bounding_box()
            assert box is not None and box["width"] >= 150, f"the QR code is too small: {box}"
            expect(page.locator(".flyer").get_by_text(handle)).to_be_visible()
            content_height = page.evaluate(CONTENT_HEIGHT_JS)
            assert content_height <= height, (
                f"{name}: the printed flyer is {content_height} px high, "
                f"{paper} leaves {height} px inside the margins"
            )
            # The same at the full paper size (no margins), as the brief's rough check.
            page.set_viewport_size({"width": size["width"], "height": 200})
            assert page.evaluate(CONTENT_HEIGHT_JS) <= size["height"]
            pdf = page.pdf(format=paper, print_background=True)
            pages = [int(count) for count in PDF_PAGE_COUNT.findall(pdf)]
            assert pages and max(pages) == 1, f"{name} prints on {pages} {paper} pages"
            page.set_viewport_size({"width": width, "height": height})
            steps.check(f"{name}-print-{paper}")
    finally:
        page.emulate_media(media="screen")


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_organizer_plans_a_weekly_meetup_and_prints_flyers(
    device: str, request: pytest.FixtureRequest, hearth_server: HearthServer, screenshots: Path
) -> None:
    tab: Tab = request.getfixturevalue(device)
    page = tab.page
    viewport = page.viewport_size
    steps = Steps(tab, screenshots, f"meetups-{device}")
    slug = f"bike-kitchen-{device}"
    handle = f"@{slug}@{hearth_server.domain}"
    tuesdays = tuesdays_from(date.today(), 4)

    tab.goto("/")
    log_in(page, ADMIN_USERNAME)
    create_group(
        page,
        slug,
        f"Bike Kitchen {device.title()}",
        summary="Fix your bike with neighbors.",
        place="South Loop, Chicago",
        tags="bikes",
    )
    expect(page.get_by_role("main").get_by_text("No meetups planned yet.")).to_be_visible()

    open_new_meetup_form(page, slug)
    steps.check("form-empty")
    fill_weekly_meetup(page, tuesdays[0])
    steps.check("form-filled")
    page.get_by_role("button", name="Publish meetup").click()
    expect_flash(page, "Series published: 4 meetups.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bike repair evening")
    first_event_url = page.url
    first_id = int(first_event_url.rsplit("/", 1)[1])

    # The group's calendar shows the series as one line; opened, it lists the four Tuesdays,
    # 19:00 in the meetup's zone.
    page.goto(f"/groups/{slug}/events")
    expect(page.get_by_role("heading", level=1)).to_have_text("Upcoming meetups")
    items = page.locator(".event-list > li")
    expect(items).to_have_count(1)
    expect(items.get_by_role("link", name="Bike repair evening")).to_be_visible()
    next_day = short_day(tuesdays[0]).split(" ", 1)[1]
    line = items.locator("summary")
    expect(line).to_have_text(f"Every Tuesday 19:00 · next {next_day} (4 dates)")
    dates = items.locator(".series-date-list > li")
    expect(dates.first).to_be_hidden()
    steps.check("group-calendar-series")
    line.click()
    expect(dates).to_have_count(4)
    for item, day in zip(dates.all(), tuesdays, strict=True):
        expect(item).to_be_visible()
        expect(item).to_contain_text(f"{short_day(day)}, 19:00–21:00 ({ZONE})")
    steps.check("group-calendar-series-open")

    # The month grid of the first Tuesday's month has the meetup on that day, at 19:00.
    page.get_by_role("link", name="Month view").click()
    expect(page).to_have_url(re.compile(f"/groups/{slug}/events/month$"))
    page.goto(f"/groups/{slug}/events/month?month={tuesdays[0]:%Y-%m}")
    grid = page.get_by_role("table", name=f"{tuesdays[0]:%B %Y}")
    links = grid.get_by_role("link", name="19:00 Bike repair evening")
    expect(links).to_have_count(sum(1 for day in tuesdays if day.month == tuesdays[0].month))
    link = links.first
    expect(link).to_be_visible()
    day_cell = grid.locator("td.has-meetups").first
    expect(day_cell.get_by_role("link")).to_have_text("19:00 Bike repair evening")
    expect(day_cell.locator(".month-day-number")).to_contain_text(f"{tuesdays[0].day} ")
    steps.check("month-grid")
    following = (tuesdays[0].replace(day=1) + timedelta(days=32)).replace(day=1)
    page.locator('a[rel="next"]').click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{following:%B %Y}")
    steps.check("month-grid-next")

    # The group page shows the next three under "Upcoming meetups".
    page.goto(f"/groups/{slug}")
    upcoming = page.get_by_role("region", name="Upcoming meetups")
    expect(upcoming.locator(".event-list > li")).to_have_count(3)
    expect(upcoming).to_contain_text(f"{short_day(tuesdays[0])}, 19:00–21:00")
    steps.check("group-page")

    # Open the second occurrence from the group page.
    upcoming.locator(".event-list > li").nth(1).get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/events/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Bike repair evening")
    facts = page.locator(".event-facts")
    expect(facts).to_contain_text(f"{short_day(tuesdays[1])}, 19:00–21:00 ({ZONE})")
    expect(facts).to_contain_text("Harold Washington Library, Room 3")
    expect(facts).to_contain_text("400 S State St")
    osm = page.get_by_role("link", name=re.compile("OpenStreetMap"))
    expect(osm).to_have_attribute("href", re.compile(r"^https://www\.openstreetmap\.org/"))
    expect(osm).to_have_attribute("href", re.compile(r"mlat=41\.8763&mlon=-87\.6281"))
    expect(page.get_by_text("Repeats weekly")).to_be_visible()
    cover = page.locator("img.event-cover")
    expect(cover).to_be_visible()
    assert page.evaluate("img => img.naturalWidth", cover.element_handle()) == 960
    expect(page.locator("strong", has_text="tools")).to_be_visible()
    expect(page.get_by_role("link", name="#bikes")).to_be_visible()
    steps.check("event-page")

    # The event's flyer, on screen then as printed.
    page.get_by_role("link", name="Printable flyer").click()
    expect(page).to_have_url(re.compile(r"/events/\d+/flyer$"))
    flyer = page.locator(".flyer")
    expect(flyer.get_by_role("heading", level=1)).to_have_text("Bike repair evening")
    expect(flyer).to_contain_text(f"{short_day(tuesdays[1])}, 19:00–21:00 ({ZONE})")
    expect(page.locator(".flyer-qr svg")).to_be_visible()
    expect(flyer.get_by_text(handle)).to_be_visible()
    steps.check("event-flyer")
    check_printed_flyer(tab, steps, "event-flyer", handle)
    assert viewport is not None
    page.set_viewport_size(viewport)

    # The group's flyer lists the next meetups.
    page.goto(f"/groups/{slug}/flyer")
    flyer = page.locator(".flyer")
    expect(flyer.get_by_role("heading", level=1)).to_have_text(f"Bike Kitchen {device.title()}")
    expect(flyer.get_by_role("heading", name="Next meetups")).to_be_visible()
    expect(flyer).to_contain_text(f"{short_day(tuesdays[0])}, 19:00–21:00")
    expect(page.locator(".flyer-qr svg")).to_be_visible()
    expect(flyer.get_by_text(handle)).to_be_visible()
    steps.check("group-flyer")
    check_printed_flyer(tab, steps, "group-flyer", handle)
    page.set_viewport_size(viewport)

    # The instance-wide list finds the series by tag.
    page.goto("/events?tag=bikes")
    found = page.get_by_role("main").locator(".event-list > li", has_text="Bike repair evening")
    expect(found.locator(f'.event-item-title a[href="/events/{first_id}"]')).to_be_visible()
    steps.check("instance-events")

    # The organizer's own calendar, then the same pages in the dark color scheme.
    page.goto("/me/calendar")
    mine = page.locator(".event-list > li", has_text=f"Bike Kitchen {device.title()}")
    expect(mine).to_have_count(1)  # the series, on one line
    expect(mine.locator(".series-date-list > li")).to_have_count(4)
    steps.check("my-calendar")
    page.emulate_media(color_scheme="dark")
    for path, name in [
        (first_event_url.removeprefix(hearth_server.base_url), "event-page-dark"),
        (f"/groups/{slug}/events", "group-calendar-dark"),
        (f"/events/{first_id}/flyer", "event-flyer-dark"),
    ]:
        page.goto(path)
        steps.check(name)


def test_a_time_skipped_by_daylight_saving_is_refused(
    phone: Tab, hearth_server: HearthServer, screenshots: Path
) -> None:
    page = phone.page
    steps = Steps(phone, screenshots, "meetups-dst")
    slug = "night-owls"
    day = last_sunday_of_march(date.today())

    phone.goto("/")
    log_in(page, ADMIN_USERNAME)
    create_group(page, slug, "Night Owls", summary="Stargazing.", place="Paris", tags="astronomy")
    open_new_meetup_form(page, slug)
    page.get_by_label("Title").fill("Watching the clocks go forward")
    page.get_by_label(re.compile(r"^Date\b")).fill(day.isoformat())
    page.get_by_label("Starts at").fill("02:30")
    page.get_by_label("Ends at").fill("04:00")
    page.get_by_label("Time zone").select_option("Europe/Paris")
    page.get_by_role("button", name="Publish meetup").click()

    message = f"02:30 does not exist on {day.day} March {day.year} in Europe/Paris"
    expect(page.get_by_role("alert")).to_contain_text(message)
    field_error = page.locator("form .field-error", has_text="does not exist")
    expect(field_error).to_be_visible()
    # The message sits by the time it is about, and the form keeps what was typed.
    time_box = page.get_by_label("Starts at").bounding_box()
    error_box = field_error.bounding_box()
    assert time_box is not None and error_box is not None
    assert 0 <= error_box["y"] - (time_box["y"] + time_box["height"]) <= 200, (
        f"the message is far from the start time: {error_box} vs {time_box}"
    )
    for label in ("Starts at", re.compile(r"^Date\b")):
        expect(page.get_by_label(label)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Title")).to_have_value("Watching the clocks go forward")
    expect(page.get_by_label("Starts at")).to_have_value("02:30")
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Paris")
    steps.check("dst-gap")

    page.get_by_label("Starts at").fill("03:30")
    page.get_by_role("button", name="Publish meetup").click()
    expect_flash(page, "Meetup published.")
    expect(page.locator(".event-facts")).to_contain_text("03:30–04:00 (Europe/Paris)")


def test_a_wordy_meetup_still_prints_on_one_sheet(
    desktop: Tab, hearth_server: HearthServer, screenshots: Path
) -> None:
    """The longest title the form takes, a long description and place, three such dates on
    the group's flyer: cut short, never a second page."""
    page = desktop.page
    steps = Steps(desktop, screenshots, "meetups-wordy")
    slug = "long-winded"
    handle = f"@{slug}@{hearth_server.domain}"
    title = ("Annual general assembly of the riverside allotment association " * 4)[:200]
    paragraph = "We will talk about compost, water rights, the shed roof and the bees. " * 8
    description = "\n\n".join(f"**Item {i}.** {paragraph}" for i in range(1, 7))

    desktop.goto("/")
    log_in(page, ADMIN_USERNAME)
    create_group(page, slug, "Long Winded", summary=description, place="Riverside", tags="gardens")
    open_new_meetup_form(page, slug)
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill(description)
    page.get_by_label(re.compile(r"^Date\b")).fill(tuesdays_from(date.today(), 1)[0].isoformat())
    page.get_by_label("Place", exact=True).fill("The big shed behind the greenhouse, " * 5)
    page.get_by_label("Street address").fill("1 Long Allotment Path")
    page.get_by_label("Town or city").fill("Riverside")
    page.get_by_label("How often").select_option("weekly")
    page.get_by_label("Or this many times").fill("3")
    page.get_by_role("button", name="Publish meetup").click()
    expect_flash(page, "Series published: 3 meetups.")
    page.get_by_role("link", name="Printable flyer").click()
    steps.check("event-flyer")
    check_printed_flyer(desktop, steps, "event-flyer", handle)
    desktop.goto(f"/groups/{slug}/flyer")
    steps.check("group-flyer")
    check_printed_flyer(desktop, steps, "group-flyer", handle)
