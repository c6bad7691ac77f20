from django import template

register = template.Library()


@register.filter
def words(value: object) -> str:
    """A stored code as words: "body_scan" -> "Body scan"."""
    text = str(value or "").replace("_", " ")
    return text[:1].upper() + text[1:]
