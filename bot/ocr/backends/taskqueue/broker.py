"""The one start-up check of the task queue's Redis, for the bot and the worker alike.

Redis that can't be reached at start is no reason to stop: it may be starting too, and photos
wait for it (users are told). Redis that refuses the credentials in OCR_BROKER_URL will go
on refusing them: without this check the bot would leave every photo "Recognizing…" and the
worker would retry forever, each saying only "can't connect".
"""

from __future__ import annotations

import redis

CHECK_TIMEOUT_S = 5.0


class BrokerRefused(Exception):
    """Redis refused the credentials; one line for the operator, without the password."""


def check_credentials(broker_url: str) -> None:
    """Raise BrokerRefused if the Redis at `broker_url` refuses its user name or password."""
    client = redis.Redis.from_url(
        broker_url, socket_connect_timeout=CHECK_TIMEOUT_S, socket_timeout=CHECK_TIMEOUT_S
    )
    try:
        client.ping()
    except redis.AuthenticationError:
        raise BrokerRefused(
            "Redis refused the credentials in OCR_BROKER_URL: check the password (and the "
            "user name, if any) in redis://user:password@host:port/db"
        ) from None
    except (redis.RedisError, OSError):
        return  # not reachable now: photos wait for it
    finally:
        client.close()
