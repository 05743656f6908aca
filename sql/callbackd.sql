-- vicidial-callbackd's own table: the terms of leadership that fence every
-- write of the daemon (see docs in the README, "Failover"). The daemon
-- creates it when it may; otherwise an administrator runs this file once.
CREATE TABLE IF NOT EXISTS callbackd_leader (
    lock_name VARCHAR(64) NOT NULL PRIMARY KEY,
    term BIGINT UNSIGNED NOT NULL,
    holder VARCHAR(255) NOT NULL DEFAULT '',
    taken_at DATETIME NOT NULL
) ENGINE=MyISAM;
