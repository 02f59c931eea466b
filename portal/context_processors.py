from django.conf import settings


def site(request):
    user = getattr(request, "user", None)
    elder = request.COOKIES.get("elder") == "1" or bool(
        user and user.is_authenticated and user.elder_mode
    )
    return {"SITE_NAME": settings.LINLI["SITE_NAME"], "elder_mode": elder}
