# Ledgerlink's image: one image for every role (web, worker, subscriber), chosen by the command;
# compose.yaml runs them all. README "Operating in production" explains the settings.

# --- build: the pinned dependency set (constraints.txt) in a virtualenv ------------------------
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /build
# Only the declaration and the pins: this layer is rebuilt when the dependencies change, not the code.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > requirements.txt \
    && pip install --no-cache-dir -c constraints.txt -r requirements.txt

# --- runtime: the virtualenv and the source, run by an unprivileged user -----------------------
FROM python:3.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH \
    DJANGO_ENV=production STATIC_ROOT=/app/staticfiles WEB_BIND=0.0.0.0:8000
RUN groupadd --system --gid 10001 ledgerlink \
    && useradd --system --uid 10001 --gid ledgerlink --home-dir /app --no-create-home --shell /usr/sbin/nologin ledgerlink
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY manage.py pyproject.toml ./
COPY config ./config
COPY integrations ./integrations
COPY mappings ./mappings
COPY monitoring ./monitoring
COPY pubsub_wire ./pubsub_wire
COPY templates ./templates
# Hashed static files at build time (production's manifest storage); the key is a placeholder that
# only this step sees: the container gets its own SECRET_KEY from the environment.
RUN SECRET_KEY=collectstatic-at-build-time-only python manage.py collectstatic --noinput --verbosity 0
# The source and static files stay root's: the app user reads them and writes nothing here.
USER 10001:10001
EXPOSE 8000
ENTRYPOINT ["python", "-m", "config.entrypoint"]
CMD ["web"]
