"""Charts: named series in, a PNG out (matplotlib's Agg backend, imported only when a chart is drawn,
so starting a command line or the bot never pays for it). Drawing only: the numbers come from
bot.stats, the catalog of charts chat users ask for is bot.commands.chart."""
