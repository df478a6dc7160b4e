"""TOTP enrolment: a device per staff member, shown as an otpauth URI and a QR code."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from kalkan.accounts.models import User


def enrol_device(user: User) -> TOTPDevice:
    """Replace whatever devices the person had with one new, confirmed TOTP device."""
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def device_of(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def qr_svg(uri: str) -> str:
    """An inline SVG (no image request, no JavaScript) of the enrolment QR code."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


def qr_terminal(uri: str) -> str:
    code = qrcode.QRCode(border=2)
    code.add_data(uri)
    out = io.StringIO()
    code.print_ascii(out=out, invert=True)
    return out.getvalue()


def current_code(device: TOTPDevice) -> str:
    """The code an authenticator app shows now (for the demo and the tests)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"
