from typing import Any

from django.conf import settings
from django.http import HttpRequest


def clinic(request: HttpRequest) -> dict[str, Any]:
    return {"CLINIC_NAME": settings.CLINIC_NAME}
