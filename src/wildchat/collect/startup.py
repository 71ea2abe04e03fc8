"""Everything that can fail before the gateway serves, checked up front with a clear message.

The store opens and migrates, the salt is loaded (or refused, when calls exist but the salt file
is gone), the geolocation database opens, the upstream starts (embedded) or lists its models.
Each failure becomes a ``StartupError`` whose text is printed as is: no traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from wildchat.collect.embedded import EmbeddedError, EmbeddedModel
from wildchat.collect.settings import Settings
from wildchat.collect.store.base import LogStore
from wildchat.collect.terms import Terms, load_terms
from wildchat.collect.upstream import display_url


class StartupError(RuntimeError):
    """The service cannot start; the message says why and what to do."""


@dataclass
class Prepared:
    settings: Settings
    store: LogStore
    hasher: Any  # ip_hash.IpHasher
    locator: Any  # geo.GeoLocator
    terms: Terms
    upstream_url: str
    upstream_key: str | None
    models: list[str]
    embedded: EmbeddedModel | None = None

    def close(self) -> None:
        if self.embedded is not None:
            self.embedded.stop()
        self.store.close()


def prepare(settings: Settings) -> Prepared:
    from wildchat.collect.geo import GeoError, GeoLocator
    from wildchat.collect.ip_hash import IpHasher, SaltError, load_salt, verify_salt
    from wildchat.collect.store import StoreError, open_store

    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StartupError(f"cannot create the data directory {settings.data_dir}: {exc.strerror}") from None
    try:
        terms = load_terms(settings.terms_file, settings.terms_version)
    except (OSError, UnicodeDecodeError) as exc:
        raise StartupError(f"cannot read the terms file {settings.terms_file}: {exc}") from None
    try:
        store = open_store(settings.db_url)
        store.migrate()
        has_calls = store.count_calls() > 0
    except StoreError as exc:
        raise StartupError(str(exc)) from None
    try:
        salt = load_salt(
            settings.data_dir,
            store_has_calls=has_calls,
            value=settings.salt.get_secret_value() if settings.salt else None,
            file=settings.salt_file,
        )
        verify_salt(store, salt)  # a different salt than the calls were hashed with would split every user
        locator = GeoLocator(settings.geoip_mmdb)
        prepared = Prepared(settings, store, IpHasher(salt), locator, terms, "", None, [])
    except (SaltError, GeoError) as exc:
        store.close()
        raise StartupError(str(exc)) from None
    try:
        _prepare_upstream(prepared)
    except StartupError:
        prepared.close()
        raise
    return prepared


def _prepare_upstream(prepared: Prepared) -> None:
    settings = prepared.settings
    if settings.upstream_url is None:
        try:
            model = EmbeddedModel(
                settings.data_dir / "embedded-model.log",
                settings.embedded_model_path,
                settings.embedded_threads,
            )
            model.start()
        except EmbeddedError as exc:
            raise StartupError(f"embedded model: {exc}") from None
        prepared.embedded = model
        prepared.upstream_url = model.base_url
        prepared.models = settings.models or [model.name]
        return
    prepared.upstream_url = settings.upstream_url
    prepared.upstream_key = settings.upstream_key.get_secret_value() if settings.upstream_key else None
    prepared.models = settings.models or _list_models(settings.upstream_url, prepared.upstream_key)


def _list_models(base_url: str, key: str | None) -> list[str]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    where = display_url(base_url)
    try:
        response = httpx.get(base_url + "/models", headers=headers, timeout=10)
        if response.status_code != 200:
            raise StartupError(
                f"{where}/models answered HTTP {response.status_code}; check --upstream-url/--upstream-key "
                "or give the model names with --models"
            )
        models = [str(m["id"]) for m in response.json()["data"]]
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        raise StartupError(
            f"cannot list the models of {where} ({type(exc).__name__}); check --upstream-url or give "
            "the model names with --models"
        ) from None
    if not models:
        raise StartupError(f"{where} lists no models; give the model names with --models")
    return models
