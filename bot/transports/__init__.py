"""Chat transports: each can send(reply) and delivers commands to one handler."""
