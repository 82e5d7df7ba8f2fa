-- GET the URL given on wrk's command line, again and again.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
