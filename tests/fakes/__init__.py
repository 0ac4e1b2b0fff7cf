"""Local stand-ins for Discord's and Telegram's servers (the only things our tests mock)."""
