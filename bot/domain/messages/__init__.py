"""Everything the bot says, as Telegram HTML: the wording, not how it is sent, in every
language (`bot.domain.i18n`).

Constants are marked texts (`Msg`), turned into a user's language by the `Translator` the
handler holds: `t(messages.NO_NOTES)`; functions take the translator first. All recognized or
user-typed text goes through `esc`, so OCR output like `<b>` or `&amp;` is shown as text, never
interpreted. A note's text can be long: it comes back as `LongText` (header, plain body,
footer), and `bot.telegram.text` fits it into Telegram's limits.

One module per topic; import the package (`from bot.domain import messages`).
"""

from bot.domain.messages.common import *  # noqa: F403
from bot.domain.messages.editor import *  # noqa: F403
from bot.domain.messages.notes import *  # noqa: F403
from bot.domain.messages.photos import *  # noqa: F403
from bot.domain.messages.settings import *  # noqa: F403
