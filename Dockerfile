# The clinic's image, used by every application service in docker-compose.yml (web, worker, beat).
FROM python:3.12-slim-trixie

# PYTHONPATH puts /app before site-packages: manage.py, gunicorn and celery all import the same copy of the code,
# the one whose BASE_DIR holds templates/, static/ and var/.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

# WeasyPrint's system libraries, and one font family so that PDFs have glyphs in a slim image; pg_dump and
# pg_restore for `manage.py backup` and `restore` (trixie's client is 17, the version of the compose database).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core postgresql-client \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 --user-group clinic

WORKDIR /app
COPY . .
RUN pip install .

# Static files are collected into the image (var/staticfiles). The settings refuse to load without a SECRET_KEY
# and FIELD_ENCRYPTION_KEYS when DEBUG is off, so this build step gets random ones, used once and thrown away.
RUN DEBUG=0 SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
        FIELD_ENCRYPTION_KEYS="$(python -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')" \
        python manage.py collectstatic --noinput \
    && mkdir -p var/media var/log \
    && chown -R clinic:clinic var

USER clinic
EXPOSE 8000
CMD ["gunicorn", "clinic.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
