#include <sqlite3.h>

/// Each connection's page cache starts with pages allocated one at a time, as it reads them,
/// instead of a bulk allocation of SQLITE_DEFAULT_PCACHE_INITSZ pages (20 on Debian) whose every
/// page SQLite writes into at once: about 85 KB resident per connection that an idle server never
/// reads into. A C wrapper because `sqlite3_config` is variadic, which Swift cannot call; it must
/// run before SQLite initializes (later it returns SQLITE_MISUSE and changes nothing).
static inline int coffer_sqlite3_page_cache_on_demand(void) {
    return sqlite3_config(SQLITE_CONFIG_PAGECACHE, (void *)0, 0, 0);
}
