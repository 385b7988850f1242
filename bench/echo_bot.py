"""The reference: a twelve-line aiogram echo bot (`python -m bench.echo_bot URL TOKEN`)."""

import sys

import uvloop
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message

dp = Dispatcher()


@dp.message()
async def echo(message: Message) -> None:
    await message.send_copy(chat_id=message.chat.id)


async def main(url: str, token: str) -> None:
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))
    print("ready", flush=True)
    await dp.start_polling(bot, handle_signals=True)


if __name__ == "__main__":
    uvloop.run(main(sys.argv[1], sys.argv[2]))
