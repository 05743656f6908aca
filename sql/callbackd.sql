-- vicidial-callbackd's own tables (the daemon creates them when missing and
-- it may; otherwise an administrator runs this file once). VICIdial's tables
-- are never altered.
--
-- The terms of leadership: every write of the daemon checks that its term is
-- still the current one (README, "Failover").
CREATE TABLE IF NOT EXISTS callbackd_leader (
    lock_name VARCHAR(64) NOT NULL PRIMARY KEY,
    term BIGINT UNSIGNED NOT NULL,
    holder VARCHAR(255) NOT NULL DEFAULT '',
    taken_at DATETIME NOT NULL
) ENGINE=MyISAM;
-- The hopper rows the daemon inserted, kept for a day: another writer's row
-- for a lead the daemon queued lately is a second dial of the same promise
-- (README, "Beside VICIdial's cron jobs"). Keyed by row and lead: the
-- hopper's ids start over when it is emptied (TRUNCATE, a MEMORY hopper
-- after a restart), and a new row must not replace another lead's record.
CREATE TABLE IF NOT EXISTS callbackd_queued (
    hopper_id BIGINT UNSIGNED NOT NULL,
    lead_id INT UNSIGNED NOT NULL,
    queued_at DATETIME NOT NULL,
    PRIMARY KEY (hopper_id, lead_id),
    KEY lead_id (lead_id),
    KEY queued_at (queued_at)
) ENGINE=MyISAM;
-- The callbacks the daemon claimed LIVE, kept for a day: a LIVE callback
-- whose lead is still CBHOLD and that is not here was made LIVE by another
-- process (VICIdial's hopper job), which inserts it itself.
CREATE TABLE IF NOT EXISTS callbackd_claimed (
    callback_id INT UNSIGNED NOT NULL PRIMARY KEY,
    claimed_at DATETIME NOT NULL,
    KEY claimed_at (claimed_at)
) ENGINE=MyISAM;
