"""Evidence leaves only as a download, never shown inline, and every opening is logged."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from kalkan.audit.models import AuditEntry
from kalkan.core.testing import log_in
from kalkan.intake.models import Evidence


def submit_with(client: Client, name: str, data: bytes) -> Evidence:
    upload = io.BytesIO(data)
    upload.name = name
    response = client.post(
        "/en/report/", {"reporter_role": "self", "narrative": "see the file", "files": [upload]}
    )
    assert b'class="secret"' in response.content
    return Evidence.objects.get()


@pytest.mark.django_db
def test_an_svg_with_a_script_is_only_ever_a_download(client, organisation, bota):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    evidence = submit_with(Client(), "<b>drawing</b>.svg", svg)
    assert evidence.working_file == ""  # not an image we can re-encode: not sanitised
    log_in(client, bota)
    page = client.get(f"/en/staff/reports/{evidence.report_id}/").content.decode()
    assert "not sanitised" in page
    assert "<b>drawing</b>" not in page  # the name is escaped text, not markup
    url = f"/en/staff/reports/evidence/{evidence.pk}/original/"
    response = client.post(url, {"back": url})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == svg
    assert AuditEntry.objects.filter(action="evidence.original", object_id=str(evidence.pk))


@pytest.mark.django_db
def test_a_photo_has_a_cleaned_copy_to_download(client, organisation, bota):
    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGB", (20, 10), (0, 90, 0)).save(picture, format="PNG")
    evidence = submit_with(Client(), "photo.png", picture.getvalue())
    assert evidence.working_file
    log_in(client, bota)
    response = client.get(f"/en/staff/reports/evidence/{evidence.pk}/working/")
    assert 'filename="photo-cleaned.jpg"' in response["Content-Disposition"]
    cleaned = b"".join(response.streaming_content)
    assert cleaned.startswith(b"\xff\xd8\xff")
    assert AuditEntry.objects.filter(action="evidence.working").exists()


@pytest.mark.django_db
def test_others_cannot_download(client, organisation, dana):
    evidence = submit_with(Client(), "a.txt", b"text")
    assert Client().get(f"/en/staff/reports/evidence/{evidence.pk}/original/").status_code == 302
    log_in(client, dana)
    assert client.get(f"/en/staff/reports/evidence/{evidence.pk}/original/").status_code == 403


def _photo_with_gps() -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (42.0, 52.0, 30.0), 3: "E", 4: (74.0, 36.0, 10.0)}
    picture = io.BytesIO()
    Image.new("RGB", (20, 10), (0, 90, 0)).save(picture, format="JPEG", exif=exif)
    return picture.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "warning"), [
    ("en", "GPS coordinates"), ("ru", "GPS-координаты"),
])
def test_the_original_of_a_photo_is_one_warned_confirmed_audited_download(
    client, organisation, bota, language, warning
):
    original = _photo_with_gps()
    evidence = submit_with(Client(), "street.jpg", original)
    url = f"/{language}/staff/reports/evidence/{evidence.pk}/original/"
    log_in(client, bota, recent=False)
    # The link leads to a warning that offers the cleaned copy, not to the file.
    page = client.get(url)
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    body = page.content.decode()
    assert warning in body and f"/evidence/{evidence.pk}/working/" in body
    assert not AuditEntry.objects.filter(action="evidence.original").exists()
    # Downloading needs the passphrase and a code again: nothing leaves before that.
    response = client.post(url, {"back": url})
    assert response.status_code == 302
    assert response["Location"].startswith(f"/{language}/staff/confirm/")
    assert not AuditEntry.objects.filter(action="evidence.original").exists()
    log_in(client, bota)  # confirmed just now
    response = client.post(url, {"back": url})
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == original
    assert AuditEntry.objects.filter(action="evidence.original",
                                     object_id=str(evidence.pk)).count() == 1


@pytest.mark.django_db
def test_downloading_an_original_needs_csrf_and_the_right_role(csrf_client, client, organisation,
                                                                bota, dana):
    evidence = submit_with(Client(), "street.jpg", _photo_with_gps())
    url = f"/en/staff/reports/evidence/{evidence.pk}/original/"
    log_in(csrf_client, bota)
    assert csrf_client.post(url, {"back": url}).status_code == 403
    assert Client().post(url)["Location"].startswith("/en/staff/login/")
    log_in(client, dana)
    assert client.post(url, {"back": url}).status_code == 403
    assert not AuditEntry.objects.filter(action="evidence.original").exists()
