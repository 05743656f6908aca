-- demo-data.sql
--
-- A small call center for demos and tests of vicidial-callbackd. Load after
-- sql/vicidial-schema.sql:
--
--   mariadb DBNAME < sql/vicidial-schema.sql
--   mariadb DBNAME < sql/demo-data.sql
--
-- Every time is relative to the load time (NOW(), CURDATE()), so reload the
-- file to reset the demo. It first deletes its own rows (fixed ids), so it
-- can be loaded again into the same database. Explicit column lists only;
-- every column not listed keeps VICIdial's default.
--
-- Server clock: callback times are in database local time. Lead time zones
-- (gmt_offset_now) are standard-time offsets; VICIdial's
-- ADMIN_adjust_GMTnow_on_leads.pl would shift them by DST.
--
-- Campaigns
--   SALESUS   active, 9am-9pm, callback_dnc ENABLED, use_internal_dnc Y,
--             use_campaign_dnc Y, scheduled_callbacks_email_alert Y,
--             custom callback status CBVIP, dial_statuses include CALLBK
--   RENEWAL   active, 24hours, hopper_hold_inserts ENABLED,
--             callback_hours_block 2, callback_list_calltime ENABLED,
--             24-hour limit PHONE_NUMBER / CAMPAIGN_LISTS / 2 (inert while
--             system_settings.call_limit_24hour='0'), callback_dnc DISABLED
--   SURVEY    active, call time survey_ct (state rules TX/FL, holidays),
--             callback_dnc ENABLED, use_campaign_dnc AREACODE (312XXXXXXX),
--             use_internal_dnc AREACODE, callback_useronly_move_minutes 30
--   MANUALCB  active, dial_method MANUAL, no_hopper_dialing Y,
--             use_other_campaign_dnc SALESUS
--   WINBACK   inactive (active='N') but with a due ANYONE callback
-- Lists: 1001, 1002 (list call time 9am-5pm) SALESUS; 2001, 2002 (expired
--   10 days ago) RENEWAL; 3001, 3002 (active='N') SURVEY; 4001 MANUALCB;
--   5001 WINBACK.
-- Leads 100001..100040; callbacks 501..538 (see the comment on each row).
-- Users: 6666 admin, agents 1001..1004 (1004 has no email), 1005 inactive.

SET NAMES utf8mb4;
SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION';

-- ---------------------------------------------------------------------------
-- Remove a previous load of the demo
-- ---------------------------------------------------------------------------
DELETE FROM vicidial_callbacks WHERE callback_id BETWEEN 501 AND 538 OR lead_id BETWEEN 100001 AND 100040 OR lead_id = 100999;
DELETE FROM vicidial_callbacks_archive WHERE callback_id BETWEEN 501 AND 538 OR lead_id BETWEEN 100001 AND 100040 OR lead_id = 100999;
DELETE FROM vicidial_hopper WHERE lead_id BETWEEN 100001 AND 100040;
DELETE FROM vicidial_list WHERE lead_id BETWEEN 100001 AND 100040;
DELETE FROM vicidial_lead_24hour_calls WHERE lead_id BETWEEN 100001 AND 100040;
DELETE FROM vicidial_lists WHERE list_id IN (1001, 1002, 2001, 2002, 3001, 3002, 4001, 5001);
DELETE FROM vicidial_campaigns WHERE campaign_id IN ('SALESUS', 'RENEWAL', 'SURVEY', 'MANUALCB', 'WINBACK');
DELETE FROM vicidial_campaign_statuses WHERE campaign_id IN ('SALESUS', 'RENEWAL', 'SURVEY', 'MANUALCB', 'WINBACK');
DELETE FROM vicidial_campaign_dnc WHERE campaign_id IN ('SALESUS', 'RENEWAL', 'SURVEY', 'MANUALCB', 'WINBACK');
DELETE FROM vicidial_dnc WHERE phone_number IN ('3055550105', '2065550112', '808XXXXXXX', '9995550100');
DELETE FROM vicidial_users WHERE user IN ('6666', '1001', '1002', '1003', '1004', '1005');
DELETE FROM vicidial_live_agents WHERE user IN ('6666', '1001', '1002', '1003', '1004', '1005');
-- PAD SPACE collation: this also removes VICIdial's stock 'AGENT_CALLBACK_EMAIL '.
DELETE FROM vicidial_settings_containers WHERE container_id = 'AGENT_CALLBACK_EMAIL';
DELETE FROM vicidial_call_times WHERE call_time_id = 'survey_ct';
DELETE FROM vicidial_call_time_holidays WHERE holiday_id IN ('company_picnic', 'office_closed');
DELETE FROM servers WHERE server_id = 'vici1';
DELETE FROM vicidial_admin_log WHERE admin_log_id IN (9001, 9002);

-- ---------------------------------------------------------------------------
-- Server (one all-in-one box, Eastern time)
-- ---------------------------------------------------------------------------
INSERT INTO servers (server_id, server_description, server_ip, active, asterisk_version, max_vicidial_trunks, local_gmt, active_asterisk_server, active_agent_login_server, generate_vicidial_conf, rebuild_conf_files, svn_revision) VALUES
('vici1', 'VICIdial all-in-one (demo)', '10.10.10.15', 'Y', '18.21.0-vici', 96, '-5.00', 'Y', 'Y', 'Y', 'N', 3870);

-- ---------------------------------------------------------------------------
-- Users
-- ---------------------------------------------------------------------------
INSERT INTO vicidial_users (user, pass, full_name, user_level, user_group, phone_login, phone_pass, email, active,
  scheduled_callbacks, agentonly_callbacks, agentcall_manual, modify_leads,
  load_leads, campaign_detail, ast_admin_access, modify_users, modify_campaigns, modify_lists,
  view_reports, change_agent_campaign, delete_from_dnc, alter_agent_interface_options, last_login_date) VALUES
('6666', '1234',   'Admin',             9, 'ADMIN',  '',     '',     'admin@example.com',     'Y', '1', '1', '1', '1', '1', '1', '1', '1', '1', '1', '1', '1', '1', '1', NOW() - INTERVAL 2 HOUR),
('1001', 'ag1001', 'Maria Gonzalez',    1, 'AGENTS', '1001', 'test', 'agent1001@example.com', 'Y', '1', '1', '1', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', NOW() - INTERVAL 3 HOUR),
('1002', 'ag1002', 'Dwayne Richardson', 1, 'AGENTS', '1002', 'test', 'agent1002@example.com', 'Y', '1', '1', '1', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', NOW() - INTERVAL 3 HOUR),
('1003', 'ag1003', 'Priya Raman',       1, 'AGENTS', '1003', 'test', 'agent1003@example.com', 'Y', '1', '1', '1', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', NOW() - INTERVAL 4 HOUR),
('1004', 'ag1004', 'Tomás Ibarra',      1, 'AGENTS', '1004', 'test', '',                      'Y', '1', '1', '1', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', NOW() - INTERVAL 1 DAY),
('1005', 'ag1005', 'Greg Foster',       1, 'AGENTS', '1005', 'test', 'agent1005@example.com', 'N', '1', '1', '1', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', NOW() - INTERVAL 20 DAY);

-- ---------------------------------------------------------------------------
-- Call time with state rules and holidays (used by SURVEY)
-- ---------------------------------------------------------------------------
INSERT INTO vicidial_call_times (call_time_id, call_time_name, call_time_comments, ct_default_start, ct_default_stop,
  ct_sunday_start, ct_sunday_stop, ct_saturday_start, ct_saturday_stop, ct_state_call_times, ct_holidays, user_group) VALUES
('survey_ct', 'Survey 10am-8pm, no Sundays', 'Saturdays 10am-2pm; TX and FL state rules', 1000, 2000,
  2400, 2400, 1000, 1400, '|texas|florida|', '|company_picnic|office_closed|', '---ALL---');

INSERT INTO vicidial_call_time_holidays (holiday_id, holiday_name, holiday_comments, holiday_date, holiday_status, ct_default_start, ct_default_stop, user_group, holiday_method) VALUES
('company_picnic', 'Company picnic (short day)', 'calls 11am-3pm only', CURDATE() + INTERVAL 7 DAY, 'ACTIVE', 1100, 1500, '---ALL---', 'REPLACE'),
('office_closed',  'Office closed',              'past holiday',        CURDATE() - INTERVAL 30 DAY, 'EXPIRED', 2400, 2400, '---ALL---', 'REPLACE');

-- ---------------------------------------------------------------------------
-- Campaigns
-- ---------------------------------------------------------------------------
INSERT INTO vicidial_campaigns (campaign_id, campaign_name, active, lead_order, hopper_level, auto_dial_level, dial_method,
  next_agent_call, local_call_time, dial_timeout, dial_prefix, campaign_cid, campaign_recording, allow_closers,
  dial_statuses, campaign_description, campaign_changedate, user_group,
  scheduled_callbacks, scheduled_callbacks_alert, scheduled_callbacks_count, my_callback_option,
  callback_days_limit, callback_display_days, callback_active_limit, callback_hours_block, callback_list_calltime,
  callback_useronly_move_minutes, scheduled_callbacks_email_alert, scheduled_callbacks_auto_reschedule,
  callback_dnc, use_internal_dnc, use_campaign_dnc, use_other_campaign_dnc,
  hopper_hold_inserts, no_hopper_dialing,
  call_limit_24hour_method, call_limit_24hour_scope, call_limit_24hour, call_limit_24hour_override,
  custom_one, custom_two, custom_three, custom_four, custom_five) VALUES
('SALESUS',  'US Sales Outbound',        'Y', 'DOWN COUNT', 50, '2.0', 'RATIO',
  'longest_wait_time', '9am-9pm',   30, '9', '8005550100', 'ALLFORCE', 'Y',
  ' NEW NA B A CALLBK -', 'Outbound sales, East and Central', NOW() - INTERVAL 10 DAY, '---ALL---',
  'Y', 'BLINK_RED', 'ALL_ACTIVE', 'CHECKED',
  30, 14, 50, 0, 'DISABLED',
  0, 'Y', 'DISABLED',
  'ENABLED', 'Y', 'Y', '',
  'DISABLED', 'N',
  'DISABLED', 'SYSTEM_WIDE', 0, 'DISABLED',
  '', '', '', '', ''),
('RENEWAL',  'Policy Renewals',          'Y', 'UP', 20, '1.0', 'RATIO',
  'longest_wait_time', '24hours',   30, '9', '8005550200', 'ALLCALLS', 'Y',
  ' NEW NA B CALLBK -', 'Renewal reminders, all time zones', NOW() - INTERVAL 30 DAY, '---ALL---',
  'Y', 'BLINK', 'LIVE', 'UNCHECKED',
  0, 0, 0, 2, 'ENABLED',
  0, 'N', 'DISABLED',
  'DISABLED', 'AREACODE', 'N', '',
  'ENABLED', 'N',
  'PHONE_NUMBER', 'CAMPAIGN_LISTS', 2, 'DISABLED',
  '', '', '', '', ''),
('SURVEY',   'Customer Satisfaction',    'Y', 'RANDOM', 10, '1.0', 'RATIO',
  'oldest_call_finish', 'survey_ct', 25, '9', '8005550300', 'ONDEMAND', 'N',
  ' NEW NA -', 'Post-install satisfaction survey', NOW() - INTERVAL 5 DAY, '---ALL---',
  'Y', 'RED', 'ALL_ACTIVE', 'UNCHECKED',
  7, 0, 0, 0, 'DISABLED',
  30, 'N', 'DISABLED',
  'ENABLED', 'AREACODE', 'AREACODE', '',
  'DISABLED', 'N',
  'DISABLED', 'SYSTEM_WIDE', 0, 'DISABLED',
  '', '', '', '', ''),
('MANUALCB', 'Manual Callback Desk',     'Y', 'DOWN', 1, '0', 'MANUAL',
  'longest_wait_time', '9am-5pm',   60, '9', '8005550400', 'ALLFORCE', 'N',
  ' NEW -', 'Agents dial their own callbacks; no hopper', NOW() - INTERVAL 60 DAY, '---ALL---',
  'Y', 'BLINK_RED_DEFER', 'ALL_ACTIVE', 'CHECKED',
  0, 0, 0, 0, 'DISABLED',
  0, 'N', 'DISABLED',
  'ENABLED', 'Y', 'Y', 'SALESUS',
  'DISABLED', 'Y',
  'DISABLED', 'SYSTEM_WIDE', 0, 'DISABLED',
  '', '', '', '', ''),
('WINBACK',  'Win-back 2023 (paused)',   'N', 'DOWN', 10, '1.0', 'RATIO',
  'longest_wait_time', '12pm-9pm',  30, '9', '8005550500', 'ONDEMAND', 'N',
  ' NEW NA -', 'Former customers; campaign switched off', NOW() - INTERVAL 90 DAY, '---ALL---',
  'Y', 'NONE', 'ALL_ACTIVE', 'UNCHECKED',
  0, 0, 0, 0, 'DISABLED',
  0, 'N', 'DISABLED',
  'DISABLED', 'N', 'N', '',
  'DISABLED', 'N',
  'DISABLED', 'SYSTEM_WIDE', 0, 'DISABLED',
  '', '', '', '', '');

-- Custom callback status (a lead with a CBVIP callback gets status CBVIP at
-- trigger time instead of CALLBK).
INSERT INTO vicidial_campaign_statuses (status, status_name, selectable, campaign_id, human_answered, category, sale, dnc, customer_contact, not_interested, unworkable, scheduled_callback, completed, answering_machine) VALUES
('CBVIP', 'VIP Callback', 'Y', 'SALESUS', 'Y', 'UNDEFINED', 'N', 'N', 'Y', 'N', 'N', 'Y', 'N', 'N');

-- ---------------------------------------------------------------------------
-- Lists
-- ---------------------------------------------------------------------------
INSERT INTO vicidial_lists (list_id, list_name, campaign_id, active, list_description, list_changedate, list_lastcalldate, expiration_date, local_call_time, reset_time) VALUES
(1001, 'US Sales Q3',               'SALESUS',  'Y', 'Purchased list, East/Central',    NOW() - INTERVAL 10 DAY, NOW() - INTERVAL 40 MINUTE, '2099-12-31',                'campaign', ''),
(1002, 'US Sales Web Leads',        'SALESUS',  'Y', 'Web form leads, business hours',  NOW() - INTERVAL 8 DAY,  NOW() - INTERVAL 1 HOUR,   '2099-12-31',                '9am-5pm',  ''),
(2001, 'Renewals Current',          'RENEWAL',  'Y', 'Policies expiring within 60 days', NOW() - INTERVAL 30 DAY, NOW() - INTERVAL 40 MINUTE, '2099-12-31',               'campaign', ''),
(2002, 'Renewals Last Year',        'RENEWAL',  'Y', 'Expired list, still active=Y',    NOW() - INTERVAL 400 DAY, NOW() - INTERVAL 12 DAY,  CURDATE() - INTERVAL 10 DAY, 'campaign', ''),
(3001, 'Survey Installs',           'SURVEY',   'Y', 'Installs of the last 30 days',    NOW() - INTERVAL 5 DAY,  NOW() - INTERVAL 2 HOUR,   '2099-12-31',                'campaign', ''),
(3002, 'Survey Pilot (paused)',     'SURVEY',   'N', 'Pilot batch, switched off',       NOW() - INTERVAL 20 DAY, NOW() - INTERVAL 20 DAY,  '2099-12-31',                'campaign', ''),
(4001, 'Manual Callback Desk',      'MANUALCB', 'Y', 'Leads worked by hand',            NOW() - INTERVAL 60 DAY, NOW() - INTERVAL 6 HOUR,   '2099-12-31',                'campaign', ''),
(5001, 'Winback 2023',              'WINBACK',  'Y', 'Former customers',                NOW() - INTERVAL 90 DAY, NOW() - INTERVAL 45 DAY,  '2099-12-31',                'campaign', '');

-- ---------------------------------------------------------------------------
-- Leads (vicidial_list). Leads with an open callback are CBHOLD, as VICIdial
-- sets them; last_local_call_time is the call on which the callback was set.
-- ---------------------------------------------------------------------------
INSERT INTO vicidial_list (lead_id, entry_date, status, user, vendor_lead_code, source_id, list_id, gmt_offset_now, called_since_last_reset,
  phone_code, phone_number, title, first_name, middle_initial, last_name, address1, address2, address3, city, state, province, postal_code,
  country_code, gender, date_of_birth, alt_phone, email, security_phrase, comments, called_count, last_local_call_time, `rank`, owner, entry_list_id) VALUES
(100001, NOW() - INTERVAL 12 DAY, 'CBHOLD', '1001', 'SQ3-0001', 'LEADCO', 1001, -5.00, 'Y', '1', '2125550101', 'Mr',  'John',     'A', 'Smith',      '350 5th Ave',           'Apt 21B', '', 'New York',       'NY', '', '10016',   'USA', 'M', '1971-04-12', '',           'john.smith@example.net',    '', 'Two lines, wants pricing',              2, NOW() - INTERVAL 1 DAY,     0, '', 0),
(100002, NOW() - INTERVAL 12 DAY, 'CBHOLD', '1001', 'SQ3-0002', 'LEADCO', 1001, -5.00, 'Y', '1', '6175550102', 'Mr',  'Patrick',  'J', 'O''Brien',   '12 Beacon St',          '',        '', 'Boston',         'MA', '', '02116',   'USA', 'M', '1980-03-17', '6175550199', 'pobrien@example.net',       '', 'Asked for Maria specifically',          1, NOW() - INTERVAL 3 HOUR,    0, '', 0),
(100003, NOW() - INTERVAL 11 DAY, 'CBHOLD', '1002', 'SQ3-0003', 'LEADCO', 1001, -6.00, 'Y', '1', '3125550103', 'Ms',  'Zoë',      '',  'Müller',     '1550 N Lake Shore Dr',  '',        '', 'Chicago',        'IL', '', '60610',   'USA', 'F', '1988-09-02', '',           'zoe.mueller@example.net',   '', 'Prefers German-speaking agent',         1, NOW() - INTERVAL 2 DAY,     0, '', 0),
(100004, NOW() - INTERVAL 11 DAY, 'CBHOLD', '1002', 'SQ3-0004', 'LEADCO', 1001, -6.00, 'Y', '1', '7135550104', 'Mr',  'José',     'L', 'Peña',       '800 Bell St',           '',        '', 'Houston',        'TX', '', '77002',   'USA', 'M', '1966-11-23', '',           'jose.pena@example.net',     '', 'On SALESUS campaign DNC list',          2, NOW() - INTERVAL 1 DAY,     0, '', 0),
(100005, NOW() - INTERVAL 10 DAY, 'CBHOLD', '1001', 'SQ3-0005', 'LEADCO', 1001, -5.00, 'Y', '1', '3055550105', 'Mrs', 'Renée',    '',  'Côté',       '200 S Biscayne Blvd',   '',        '', 'Miami',          'FL', '', '33131',   'USA', 'F', '1975-06-30', '',           'renee.cote@example.net',    '', 'Number now on internal DNC',            1, NOW() - INTERVAL 4 HOUR,    0, '', 0),
(100006, NOW() - INTERVAL 10 DAY, 'CBHOLD', '1002', 'SQ3-0006', 'LEADCO', 1001, -8.00, 'Y', '1', '4155550106', 'Mr',  'Michael',  'T', 'Chen',       '1 Market St',           'Suite 300', '', 'San Francisco', 'CA', '', '94105',   'USA', 'M', '1983-01-08', '',           'mchen@example.net',         '', '',                                      2, NOW() - INTERVAL 1 DAY,     0, '', 0),
(100007, NOW() - INTERVAL 9 DAY,  'CBHOLD', '1003', 'SQ3-0007', 'LEADCO', 1001, -10.00, 'Y', '1', '8085550107', 'Mr', 'Keanu',    '',  'Kahale',     '1001 Bishop St',        '',        '', 'Honolulu',       'HI', '', '96813',   'USA', 'M', '1990-07-19', '',           'keanu.k@example.net',       '', 'Call after 10am Hawaii time',           1, NOW() - INTERVAL 6 HOUR,    0, '', 0),
(100008, NOW() - INTERVAL 9 DAY,  'CBHOLD', '1001', 'SQ3-0008', 'PARTNER', 1001, -3.50, 'Y', '1', '7095550108', 'Ms', 'Siobhan',  'M', 'Murphy',     '50 Water St',           '',        '', 'St. John''s',    'NL', 'Newfoundland', 'A1C 1A1', 'CAN', 'F', '1979-02-14', '', 'siobhan.m@example.ca', '', 'VIP: enterprise account',               3, NOW() - INTERVAL 1 DAY,     0, '', 0),
(100009, NOW() - INTERVAL 8 DAY,  'CBHOLD', '1001', 'SQ3-0009', 'LEADCO', 1001, -5.00, 'Y', '1', '4045550109', 'Mr',  'David',    'R', 'Williams',   '191 Peachtree St NE',   '',        '', 'Atlanta',        'GA', '', '30303',   'USA', 'M', '1969-12-01', '',           'dwilliams@example.net',     '', 'Decision after board meeting',          1, NOW() - INTERVAL 5 HOUR,    0, '', 0),
(100010, NOW() - INTERVAL 8 DAY,  'SALE',   '1003', 'SQ3-0010', 'LEADCO', 1001, -7.00, 'Y', '1', '6025550110', 'Ms',  'Linda',    '',  'Garcia',     '2 N Central Ave',       '',        '', 'Phoenix',        'AZ', '', '85004',   'USA', 'F', '1985-05-05', '',           'linda.garcia@example.net',  '', 'Closed on the callback',                2, NOW() - INTERVAL 1 DAY + INTERVAL 5 MINUTE, 0, '', 0),
(100011, NOW() - INTERVAL 7 DAY,  'NEW',    '',     'SQ3-0011', 'LEADCO', 1001, -5.00, 'N', '1', '2155550111', 'Mr',  'Robert',   'E', 'Brown',      '1500 Market St',        '',        '', 'Philadelphia',   'PA', '', '19102',   'USA', 'M', '1958-08-08', '',           'rbrown@example.net',        '', '',                                      0, NULL,                       0, '', 0),
(100012, NOW() - INTERVAL 7 DAY,  'DNCL',   'VDAD', 'SQ3-0012', 'LEADCO', 1001, -8.00, 'Y', '1', '2065550112', 'Ms',  'Emily',    'K', 'Davis',      '400 Pine St',           '',        '', 'Seattle',        'WA', '', '98101',   'USA', 'F', '1992-10-10', '',           'emily.davis@example.net',   '', 'Asked to be put on DNC',                1, NOW() - INTERVAL 5 DAY,     0, '', 0),
(100013, NOW() - INTERVAL 6 DAY,  'CBHOLD', '1004', 'WEB-7713', 'WEBFORM', 1002, -7.00, 'Y', '1', '3035550113', 'Mr', 'Thomas',   'J', 'Anderson',   '1700 Lincoln St',       '',        '', 'Denver',         'CO', '', '80203',   'USA', 'M', '1977-03-11', '',           't.anderson@example.net',    '', '',                                      1, NOW() - INTERVAL 2 HOUR,    0, '', 0),
(100014, NOW() - INTERVAL 6 DAY,  'CBHOLD', '1002', 'WEB-7714', 'WEBFORM', 1002, -5.00, 'Y', '1', '6145550114', 'Ms', 'Jennifer', 'L', 'Wilson',     '10 W Broad St',         '',        '', 'Columbus',       'OH', '', '43215',   'USA', 'F', '1987-04-22', '',           'jwilson@example.net',       '', 'Only during office hours',              1, NOW() - INTERVAL 1 DAY,     0, '', 0),
(100015, NOW() - INTERVAL 5 DAY,  'CBHOLD', '1005', 'WEB-7715', 'WEBFORM', 1002, -6.00, 'Y', '1', '6125550115', 'Mr', 'Christopher', '', 'Lee',       '80 S 8th St',           '',        '', 'Minneapolis',    'MN', '', '55402',   'USA', 'M', '1995-09-15', '',           'chris.lee@example.net',     '', 'Agent 1005 has left',                   1, NOW() - INTERVAL 2 DAY,     0, '', 0),
(100016, NOW() - INTERVAL 30 DAY, 'CBHOLD', '1003', 'RN-22016', 'POLICY', 2001, -6.00, 'Y', '1', '2145550116', 'Ms',  'Sarah',    'A', 'Thompson',   '1601 Elm St',           '',        '', 'Dallas',         'TX', '', '75201',   'USA', 'F', '1982-12-24', '',           'sthompson@example.net',     '', 'Wants quote emailed first',             2, NOW() - INTERVAL 30 MINUTE, 0, '', 0),
(100017, NOW() - INTERVAL 30 DAY, 'CBHOLD', '1002', 'RN-22017', 'POLICY', 2001, -8.00, 'Y', '1', '2135550117', 'Mr',  'Daniel',   '',  'Martinez',   '350 S Grand Ave',       '',        '', 'Los Angeles',    'CA', '', '90071',   'USA', 'M', '1974-07-04', '',           'dmartinez@example.net',     '', '',                                      1, NOW() - INTERVAL 1 DAY,     0, '', 0),
(100018, NOW() - INTERVAL 380 DAY, 'CBHOLD', '1001', 'RN-21018', 'POLICY', 2002, -5.00, 'Y', '1', '4075550118', 'Ms', 'Jessica',  'M', 'Taylor',     '20 N Orange Ave',       '',        '', 'Orlando',        'FL', '', '32801',   'USA', 'F', '1991-01-30', '',           'jtaylor@example.net',       '', 'Lead on an expired list',               3, NOW() - INTERVAL 2 DAY,     0, '', 0),
(100019, NOW() - INTERVAL 380 DAY, 'CBHOLD', '1002', 'RN-21019', 'POLICY', 2002, -6.00, 'Y', '1', '6155550119', 'Mr', 'Matthew',  '',  'Harris',     '150 4th Ave N',         '',        '', 'Nashville',      'TN', '', '37219',   'USA', 'M', '1968-06-06', '',           'mharris@example.net',       '', '',                                      2, NOW() - INTERVAL 1 DAY,     0, '', 0),
(100020, NOW() - INTERVAL 30 DAY, 'NA',     'VDAD', 'RN-22020', 'POLICY', 2001, -8.00, 'Y', '1', '5035550120', 'Ms',  'Ashley',   'N', 'Clark',      '1120 NW Couch St',      '',        '', 'Portland',       'OR', '', '97209',   'USA', 'F', '1989-08-18', '',           'ashley.clark@example.net',  '', 'Callback dialed, no answer',            3, NOW() - INTERVAL 90 MINUTE, 0, '', 0),
(100021, NOW() - INTERVAL 30 DAY, 'CBHOLD', '1003', 'RN-22021', 'POLICY', 2001, -9.00, 'D', '1', '9075550121', 'Mr',  'Andrew',   'P', 'Lewis',      '510 L St',              '',        '', 'Anchorage',      'AK', '', '99501',   'USA', 'M', '1972-02-29', '',           'alewis@example.net',        '', 'Called twice in the last 24h',          4, NOW() - INTERVAL 40 MINUTE, 0, '', 0),
(100022, NOW() - INTERVAL 29 DAY, 'CBHOLD', '1001', 'RN-22022', 'POLICY', 2001, -7.00, 'Y', '1', '8015550122', 'Ms',  'Olivia',   '',  'Walker',     '222 S Main St',         '',        '', 'Salt Lake City', 'UT', '', '84101',   'USA', 'F', '1996-05-27', '',           'owalker@example.net',       '', 'Tomorrow morning',                      1, NOW() - INTERVAL 3 HOUR,    0, '', 0),
(100023, NOW() - INTERVAL 29 DAY, 'NEW',    '',     'RN-22023', 'POLICY', 2001, -5.00, 'N', '1', '3135550123', 'Mr',  'Kevin',    '',  'Hall',       '1 Campus Martius',      '',        '', 'Detroit',        'MI', '', '48226',   'USA', 'M', '1981-10-31', '',           'khall@example.net',         '', '',                                      0, NULL,                       0, '', 0),
(100024, NOW() - INTERVAL 4 DAY,  'CBHOLD', '1003', 'SV-30024', 'INSTALL', 3001, -6.00, 'Y', '1', '3125550124', 'Mr', 'Brian',    'C', 'Young',      '233 S Wacker Dr',       '',        '', 'Chicago',        'IL', '', '60606',   'USA', 'M', '1970-03-03', '',           'byoung@example.net',        '', '312 area code is on SURVEY DNC',        1, NOW() - INTERVAL 1 DAY,     0, '', 0),
(100025, NOW() - INTERVAL 4 DAY,  'CBHOLD', '1003', 'SV-30025', 'INSTALL', 3001, -5.00, 'Y', '1', '6175550125', 'Ms', 'Karen',    'B', 'King',       '100 Federal St',        '',        '', 'Boston',         'MA', '', '02110',   'USA', 'F', '1984-11-11', '',           'karen.king@example.net',    '', '',                                      1, NOW() - INTERVAL 1 DAY,     0, '', 0),
(100026, NOW() - INTERVAL 4 DAY,  'CBHOLD', '1004', 'SV-30026', 'INSTALL', 3001, -8.00, 'Y', '1', '6195550126', 'Mr', 'Steven',   '',  'Wright',     '600 W Broadway',        '',        '', 'San Diego',      'CA', '', '92101',   'USA', 'M', '1963-04-01', '',           'swright@example.net',       '', '',                                      1, NOW() - INTERVAL 1 DAY,     0, '', 0),
(100027, NOW() - INTERVAL 20 DAY, 'CBHOLD', '1003', 'SV-29027', 'PILOT',   3002, -6.00, 'Y', '1', '2105550127', 'Ms', 'Nancy',    'R', 'Lopez',      '300 Alamo Plaza',       '',        '', 'San Antonio',    'TX', '', '78205',   'USA', 'F', '1986-12-12', '',           'nlopez@example.net',        '', 'List 3002 is switched off',             1, NOW() - INTERVAL 2 DAY,     0, '', 0),
(100028, NOW() - INTERVAL 3 DAY,  'CBHOLD', '1004', 'SV-30028', 'INSTALL', 3001, -5.00, 'Y', '1', '2165550128', 'Mr', 'Gary',     'W', 'Hill',       '1100 Superior Ave',     '',        '', 'Cleveland',      'OH', '', '44114',   'USA', 'M', '1955-07-21', '',           'ghill@example.net',         '', '',                                      1, NOW() - INTERVAL 1 HOUR,    0, '', 0),
(100029, NOW() - INTERVAL 3 DAY,  'NEW',    '',     'SV-30029', 'INSTALL', 3001, -10.00, 'N', '1', '8085550129', 'Ms', 'Lisa',    '',  'Scott',      '2250 Kalakaua Ave',     '',        '', 'Honolulu',       'HI', '', '96815',   'USA', 'F', '1993-09-09', '',           'lisa.scott@example.net',    '', '808 area code is on internal DNC',      0, NULL,                       0, '', 0),
(100030, NOW() - INTERVAL 50 DAY, 'CBHOLD', '1001', 'MC-40030', 'REFERRAL', 4001, -5.00, 'Y', '1', '9195550130', 'Mr', 'Paul',    'D', 'Green',      '150 Fayetteville St',   '',        '', 'Raleigh',        'NC', '', '27601',   'USA', 'M', '1978-01-25', '',           'pgreen@example.net',        '', 'Manual desk, no hopper',                2, NOW() - INTERVAL 1 DAY,     0, '', 0),
(100031, NOW() - INTERVAL 50 DAY, 'CBHOLD', '1001', 'MC-40031', 'REFERRAL', 4001, -6.00, 'Y', '1', '8165550131', 'Ms', 'Sandra',  '',  'Adams',      '1100 Walnut St',        '',        '', 'Kansas City',    'MO', '', '64106',   'USA', 'F', '1990-04-04', '',           'sandra.adams@example.net',  '', '',                                      1, NOW() - INTERVAL 6 HOUR,    0, '', 0),
(100032, NOW() - INTERVAL 9 DAY,  'CBHOLD', '1002', 'SQ3-0032', 'LEADCO', 1001, -5.00, 'Y', '1', '4105550132', 'Mr',  'Mark',     'S', 'Baker',      '100 Light St',          '',        '', 'Baltimore',      'MD', '', '21202',   'USA', 'M', '1976-08-28', '',           'mbaker@example.net',        '', 'LIVE ANYONE callback, lead left CBHOLD', 1, NOW() - INTERVAL 1 DAY,    0, '', 0),
(100033, NOW() - INTERVAL 80 DAY, 'CBHOLD', '1003', 'WB-50033', 'CRM',     5001, -5.00, 'Y', '1', '8135550133', 'Mrs', 'Betty',   'J', 'Nelson',     '401 E Jackson St',      '',        '', 'Tampa',          'FL', '', '33602',   'USA', 'F', '1950-02-02', '',           'bnelson@example.net',       '', 'Campaign WINBACK is inactive',          2, NOW() - INTERVAL 1 DAY,     0, '', 0),
(100034, NOW() - INTERVAL 80 DAY, 'NEW',    '',     'WB-50034', 'CRM',     5001, -5.00, 'N', '1', '4125550134', 'Mr',  'Edward',   '',  'Carter',     '600 Grant St',          '',        '', 'Pittsburgh',     'PA', '', '15219',   'USA', 'M', '1962-10-19', '',           'ecarter@example.net',       '', '',                                      0, NULL,                       0, '', 0),
(100035, NOW() - INTERVAL 9 DAY,  'CBHOLD', '1002', 'SQ3-0035', 'LEADCO', 1001, -5.00, 'Y', '1', '9735550135', 'Ms',  'Ngozi',    'A', 'Okafor',     '1 Gateway Center',      '',        '', 'Newark',         'NJ', '', '07102',   'USA', 'F', '1987-06-16', '',           'ngozi.okafor@example.net',  '', 'Two open callbacks on this lead',       2, NOW() - INTERVAL 1 DAY,     0, '', 0),
(100036, NOW() - INTERVAL 28 DAY, 'SALE',   '1002', 'RN-22036', 'POLICY', 2001, -8.00, 'Y', '1', '9165550136', 'Ms',  'Mei',      '',  'Tanaka',     '1215 K St',             '',        '', 'Sacramento',     'CA', '', '95814',   'USA', 'F', '1994-03-21', '',           'mei.tanaka@example.net',    '', 'Renewed on callback',                   2, NOW() - INTERVAL 3 DAY,     0, '', 0),
(100037, NOW() - INTERVAL 28 DAY, 'CBHOLD', '1003', 'RN-22037', 'POLICY', 2001, -10.00, 'Y', '1', '8085550137', 'Mr', 'Hiroshi',  'K', 'Yamamoto',   '1450 Ala Moana Blvd',   '',        '', 'Honolulu',       'HI', '', '96814',   'USA', 'M', '1960-05-15', '',           'hyamamoto@example.net',     '', '',                                      1, NOW() - INTERVAL 2 HOUR,    0, '', 0),
(100038, NOW() - INTERVAL 9 DAY,  'CBHOLD', '1003', 'SQ3-0038', 'LEADCO', 1001, -5.00, 'Y', '1', '3135550138', 'Ms',  'Fatima',   '',  'Al-Sayed',   '22000 Michigan Ave',    '',        '', 'Dearborn',       'MI', '', '48124',   'USA', 'F', '1989-12-05', '',           'f.alsayed@example.net',     '', '',                                      1, NOW() - INTERVAL 1 DAY,     0, '', 0),
(100039, NOW() - INTERVAL 3 DAY,  'CBHOLD', '1003', 'SV-30039', 'INSTALL', 3001, -7.00, 'Y', '1', '9155550139', 'Mr', 'Carlos',   'M', 'Rivera',     '303 N Oregon St',       '',        '', 'El Paso',        'TX', '', '79901',   'USA', 'M', '1973-09-16', '',           'crivera@example.net',       '', 'Bilingual survey',                      1, NOW() - INTERVAL 1 DAY,     0, '', 0),
(100040, NOW() - INTERVAL 9 DAY,  'CALLBK', '1001', 'WEB-7740', 'WEBFORM', 1002, -5.00, 'N', '1', '4045550140', 'Ms', 'Grace',    'H', 'Kim',        '1180 Peachtree St NE',  '',        '', 'Atlanta',        'GA', '', '30309',   'USA', 'F', '1997-02-20', '',           'grace.kim@example.net',     '', 'Callback LIVE, hopper row lost',        1, NOW() - INTERVAL 2 DAY,     0, '', 0);

-- The calls above are written in server time for readability; VICIdial's
-- dialer writes last_local_call_time in the lead's own local time
-- (AST_VDauto_dial.pl line 1880: server time shifted by gmt_offset_now minus
-- the server's offset), so the demo does the same.
UPDATE vicidial_list
   SET last_local_call_time = last_local_call_time
       + INTERVAL ROUND(gmt_offset_now * 60 - TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), NOW())) MINUTE
 WHERE last_local_call_time IS NOT NULL;

-- ---------------------------------------------------------------------------
-- Scheduled callbacks
-- ---------------------------------------------------------------------------
INSERT INTO vicidial_callbacks (callback_id, lead_id, list_id, campaign_id, status, entry_time, callback_time, user, recipient, comments, user_group, lead_status, email_alert, email_result) VALUES
-- SALESUS
(501, 100001, 1001, 'SALESUS',  'ACTIVE',   NOW() - INTERVAL 1 DAY,     NOW() - INTERVAL 10 MINUTE, '1001', 'ANYONE',   'Call back after 3pm, pricing for 2 lines',  'AGENTS', 'CALLBK', NULL, NULL),  -- past due
(502, 100002, 1001, 'SALESUS',  'ACTIVE',   NOW() - INTERVAL 3 HOUR,    NOW() + INTERVAL 2 MINUTE,  '1001', 'USERONLY', 'Wants Maria; has the contract ready',       'AGENTS', 'CALLBK', NULL, NULL),  -- due in 2 min, email alert
(503, 100003, 1001, 'SALESUS',  'ACTIVE',   NOW() - INTERVAL 2 DAY,     NOW() + INTERVAL 1 MINUTE,  '1002', 'ANYONE',   'Rückruf: Angebot besprechen',               'AGENTS', 'CALLBK', NULL, NULL),  -- due in 1 min
(504, 100004, 1001, 'SALESUS',  'ACTIVE',   NOW() - INTERVAL 1 DAY,     NOW() + INTERVAL 3 MINUTE,  '1002', 'ANYONE',   'Call on cell after lunch',                  'AGENTS', 'CALLBK', NULL, NULL),  -- campaign DNC hit -> DNCC
(505, 100005, 1001, 'SALESUS',  'ACTIVE',   NOW() - INTERVAL 4 HOUR,    NOW() - INTERVAL 2 MINUTE,  '1001', 'ANYONE',   'Call back re: bundle',                      'AGENTS', 'CALLBK', NULL, NULL),  -- internal DNC hit -> DNCL
(506, 100006, 1001, 'SALESUS',  'LIVE',     NOW() - INTERVAL 1 DAY,     NOW() - INTERVAL 1 HOUR,    '1002', 'USERONLY', 'Follow up on demo',                         'AGENTS', 'CALLBK', NOW() - INTERVAL 1 HOUR, 'SENT'),
(507, 100007, 1001, 'SALESUS',  'ACTIVE',   NOW() - INTERVAL 6 HOUR,    NOW() + INTERVAL 5 MINUTE,  '1003', 'ANYONE',   'Hawaii; 808 area code but SALESUS is Y not AREACODE', 'AGENTS', 'CALLBK', NULL, NULL),
(508, 100008, 1001, 'SALESUS',  'ACTIVE',   NOW() - INTERVAL 1 DAY,     NOW() + INTERVAL 4 MINUTE,  '1001', 'ANYONE',   'VIP, Newfoundland (-3.50)',                 'AGENTS', 'CBVIP',  NULL, NULL),  -- custom lead_status
(509, 100009, 1001, 'SALESUS',  'ACTIVE',   NOW() - INTERVAL 5 HOUR,    TIMESTAMP(CURDATE() + INTERVAL 2 DAY, '10:30:00'), '1001', 'USERONLY', 'After the board meeting', 'AGENTS', 'CALLBK', NULL, NULL),
(510, 100010, 1001, 'SALESUS',  'INACTIVE', NOW() - INTERVAL 3 DAY,     NOW() - INTERVAL 1 DAY,     '1003', 'ANYONE',   'Closed',                                    'AGENTS', 'CALLBK', NULL, NULL),
(511, 100012, 1001, 'SALESUS',  'DEAD',     NOW() - INTERVAL 5 DAY,     NOW() - INTERVAL 2 DAY,     '1002', 'ANYONE',   'Killed by internal DNC',                    'AGENTS', 'CALLBK', NULL, NULL),
(512, 100013, 1002, 'SALESUS',  'ACTIVE',   NOW() - INTERVAL 2 HOUR,    NOW() + INTERVAL 4 MINUTE,  '1004', 'USERONLY', 'Agent 1004 has no email address',           'AGENTS', 'CALLBK', NULL, NULL),  -- email NOT AVAILABLE
(513, 100014, 1002, 'SALESUS',  'ACTIVE',   NOW() - INTERVAL 1 DAY,     NOW() - INTERVAL 5 MINUTE,  '1002', 'ANYONE',   'List 1002 call time is 9am-5pm',            'AGENTS', 'CALLBK', NULL, NULL),
(514, 100032, 1001, 'SALESUS',  'LIVE',     NOW() - INTERVAL 1 DAY,     NOW() - INTERVAL 30 MINUTE, '1002', 'ANYONE',   'Half-done activation: lead still CBHOLD',   'AGENTS', 'CALLBK', NULL, NULL),
(515, 100035, 1001, 'SALESUS',  'ACTIVE',   NOW() - INTERVAL 3 DAY,     NOW() + INTERVAL 5 MINUTE,  '1002', 'ANYONE',   'Older callback on the same lead',           'AGENTS', 'CALLBK', NULL, NULL),
(516, 100035, 1001, 'SALESUS',  'ACTIVE',   NOW() - INTERVAL 1 DAY,     NOW() + INTERVAL 2 DAY,     '1002', 'USERONLY', 'Newer callback on the same lead',           'AGENTS', 'CALLBK', NULL, NULL),
(517, 100038, 1001, 'SALESUS',  'ACTIVE',   NOW() - INTERVAL 1 DAY,     NOW() - INTERVAL 5 MINUTE,  '1003', 'USERONLY', 'Past due, agent-only',                      'AGENTS', 'CALLBK', NULL, NULL),
(518, 100040, 1002, 'SALESUS',  'LIVE',     NOW() - INTERVAL 2 DAY,     NOW() - INTERVAL 20 MINUTE, '1001', 'ANYONE',   'Activated, hopper row lost (MySQL restart)', 'AGENTS', 'CALLBK', NULL, NULL),
(538, 100015, 1002, 'SALESUS',  'ACTIVE',   NOW() - INTERVAL 2 DAY,     TIMESTAMP(CURDATE() + INTERVAL 1 DAY, '11:00:00'), '1005', 'USERONLY', 'Owner 1005 is inactive: reassign', 'AGENTS', 'CALLBK', NULL, NULL),
-- RENEWAL
(519, 100016, 2001, 'RENEWAL',  'ACTIVE',   NOW() - INTERVAL 30 MINUTE, NOW() - INTERVAL 1 MINUTE,  '1003', 'ANYONE',   'Set 30 min ago; hours block is 2h',         'AGENTS', 'CALLBK', NULL, NULL),
(520, 100017, 2001, 'RENEWAL',  'ACTIVE',   NOW() - INTERVAL 1 DAY,     NOW() + INTERVAL 2 MINUTE,  '1002', 'ANYONE',   'Renewal quote ready',                       'AGENTS', 'CALLBK', NULL, NULL),
(521, 100018, 2002, 'RENEWAL',  'ACTIVE',   NOW() - INTERVAL 2 DAY,     NOW() + INTERVAL 1 MINUTE,  '1001', 'ANYONE',   'List 2002 expired',                         'AGENTS', 'CALLBK', NULL, NULL),
(522, 100019, 2002, 'RENEWAL',  'ACTIVE',   NOW() - INTERVAL 1 DAY,     NOW() - INTERVAL 15 MINUTE, '1002', 'USERONLY', 'Expired list, agent-only',                  'AGENTS', 'CALLBK', NULL, NULL),
(523, 100020, 2001, 'RENEWAL',  'LIVE',     NOW() - INTERVAL 1 DAY,     NOW() - INTERVAL 2 HOUR,    '1003', 'ANYONE',   'Dialed 90 min ago, no answer',              'AGENTS', 'CALLBK', NULL, NULL),
(524, 100021, 2001, 'RENEWAL',  'TFHCCL',   NOW() - INTERVAL 1 DAY,     NOW() - INTERVAL 20 MINUTE, '1003', 'ANYONE',   'Held by the 24-hour call limit',            'AGENTS', 'CALLBK', NULL, NULL),
(525, 100022, 2001, 'RENEWAL',  'ACTIVE',   NOW() - INTERVAL 3 HOUR,    TIMESTAMP(CURDATE() + INTERVAL 1 DAY, '09:15:00'), '1001', 'ANYONE', 'Tomorrow morning', 'AGENTS', 'CALLBK', NULL, NULL),
(526, 100036, 2001, 'RENEWAL',  'INACTIVE', NOW() - INTERVAL 4 DAY,     NOW() - INTERVAL 3 DAY,     '1002', 'ANYONE',   'Renewed',                                   'AGENTS', 'CALLBK', NULL, NULL),
(527, 100037, 2001, 'RENEWAL',  'ACTIVE',   NOW() - INTERVAL 2 HOUR,    TIMESTAMP(CURDATE() + INTERVAL 3 DAY, '14:00:00'), '1003', 'USERONLY', 'Aloha; call after lunch HST', 'AGENTS', 'CALLBK', NULL, NULL),
-- SURVEY
(528, 100024, 3001, 'SURVEY',   'ACTIVE',   NOW() - INTERVAL 1 DAY,     NOW() - INTERVAL 3 MINUTE,  '1003', 'ANYONE',   '312XXXXXXX on SURVEY campaign DNC',         'AGENTS', 'CALLBK', NULL, NULL),
(529, 100025, 3001, 'SURVEY',   'LIVE',     NOW() - INTERVAL 1 DAY,     NOW() - INTERVAL 45 MINUTE, '1003', 'USERONLY', 'LIVE 45 min: moves to ANYONE (30 min)',     'AGENTS', 'CALLBK', NULL, NULL),
(530, 100026, 3001, 'SURVEY',   'LIVE',     NOW() - INTERVAL 1 DAY,     NOW() - INTERVAL 10 MINUTE, '1004', 'USERONLY', 'LIVE 10 min: not moved yet',                'AGENTS', 'CALLBK', NULL, NULL),
(531, 100027, 3002, 'SURVEY',   'ACTIVE',   NOW() - INTERVAL 2 DAY,     NOW() + INTERVAL 2 MINUTE,  '1003', 'ANYONE',   'List 3002 active=N',                        'AGENTS', 'CALLBK', NULL, NULL),
(532, 100028, 3001, 'SURVEY',   'ACTIVE',   NOW() - INTERVAL 1 HOUR,    NOW() + INTERVAL 1 DAY,     '1004', 'USERONLY', 'Tomorrow same time',                        'AGENTS', 'CALLBK', NULL, NULL),
(533, 100039, 3001, 'SURVEY',   'ACTIVE',   NOW() - INTERVAL 1 DAY,     NOW() + INTERVAL 3 MINUTE,  '1003', 'ANYONE',   'Prefers Spanish',                           'AGENTS', 'CALLBK', NULL, NULL),
-- MANUALCB (no_hopper_dialing)
(534, 100030, 4001, 'MANUALCB', 'ACTIVE',   NOW() - INTERVAL 1 DAY,     NOW() + INTERVAL 1 MINUTE,  '1001', 'ANYONE',   'No hopper in this campaign',                'AGENTS', 'CALLBK', NULL, NULL),
(535, 100031, 4001, 'MANUALCB', 'ACTIVE',   NOW() - INTERVAL 6 HOUR,    NOW() + INTERVAL 4 MINUTE,  '1001', 'USERONLY', 'Manual desk',                               'AGENTS', 'CALLBK', NULL, NULL),
-- WINBACK (inactive campaign)
(536, 100033, 5001, 'WINBACK',  'ACTIVE',   NOW() - INTERVAL 1 DAY,     NOW() + INTERVAL 3 MINUTE,  '1003', 'ANYONE',   'Campaign is inactive',                      'AGENTS', 'CALLBK', NULL, NULL),
-- orphan: its lead was deleted (never activated; removed by the purge)
(537, 100999, 1001, 'SALESUS',  'ACTIVE',   NOW() - INTERVAL 3 DAY,     NOW() - INTERVAL 1 DAY,     '1002', 'ANYONE',   'Lead deleted by an admin',                  'AGENTS', 'CALLBK', NULL, NULL);

-- ---------------------------------------------------------------------------
-- DNC
-- ---------------------------------------------------------------------------
INSERT INTO vicidial_dnc (phone_number) VALUES
('3055550105'),   -- Renée Côté (SALESUS, callback 505)
('2065550112'),   -- Emily Davis (already DNCL)
('808XXXXXXX'),   -- area-code entry: matches only use_internal_dnc='AREACODE'
('9995550100');   -- on no lead

INSERT INTO vicidial_campaign_dnc (phone_number, campaign_id) VALUES
('7135550104', 'SALESUS'),   -- José Peña (callback 504)
('2125550199', 'SALESUS'),   -- on no lead
('312XXXXXXX', 'SURVEY');    -- area-code entry (SURVEY uses AREACODE): Brian Young (callback 528)

-- ---------------------------------------------------------------------------
-- Calls in the last 24 hours (RENEWAL limit 2 per phone number)
-- ---------------------------------------------------------------------------
INSERT INTO vicidial_lead_24hour_calls (lead_id, list_id, call_date, phone_number, phone_code, state, call_type) VALUES
(100021, 2001, NOW() - INTERVAL 3 HOUR,    '9075550121', '1', 'AK', 'AUTO'),
(100021, 2001, NOW() - INTERVAL 40 MINUTE, '9075550121', '1', 'AK', 'MANUAL'),
(100020, 2001, NOW() - INTERVAL 90 MINUTE, '5035550120', '1', 'OR', 'AUTO'),
(100001, 1001, NOW() - INTERVAL 1 DAY + INTERVAL 30 MINUTE, '2125550101', '1', 'NY', 'AUTO');

-- ---------------------------------------------------------------------------
-- Hopper: ordinary (source 'S') rows for NEW leads
-- ---------------------------------------------------------------------------
INSERT INTO vicidial_hopper (lead_id, campaign_id, status, user, list_id, gmt_offset_now, state, alt_dial, priority, source, vendor_lead_code) VALUES
(100011, 'SALESUS', 'READY', '', 1001, -5.00, 'PA', 'NONE', 0, 'S', 'SQ3-0011'),
(100023, 'RENEWAL', 'READY', '', 2001, -5.00, 'MI', 'NONE', 0, 'S', 'RN-22023'),
(100029, 'SURVEY',  'READY', '', 3001, -10.00, 'HI', 'NONE', 0, 'S', 'SV-30029');

-- ---------------------------------------------------------------------------
-- Logged-in agents (1004 and 1005 are not logged in)
-- ---------------------------------------------------------------------------
INSERT INTO vicidial_live_agents (user, server_ip, conf_exten, extension, status, lead_id, campaign_id, uniqueid, callerid, channel, random_id,
  last_call_time, last_call_finish, closer_campaigns, call_server_ip, user_level, comments, calls_today, last_state_change, outbound_autodial, pause_code) VALUES
('1001', '10.10.10.15', '8600051', 'SIP/1001', 'READY',  0, 'SALESUS', '', '', '', 11223344, NOW() - INTERVAL 4 MINUTE, NOW() - INTERVAL 2 MINUTE, '', '', 1, '', 23, NOW() - INTERVAL 1 MINUTE, 'Y', ''),
('1002', '10.10.10.15', '8600052', 'SIP/1002', 'PAUSED', 0, 'SALESUS', '', '', '', 22334455, NOW() - INTERVAL 15 MINUTE, NOW() - INTERVAL 12 MINUTE, '', '', 1, '', 17, NOW() - INTERVAL 10 MINUTE, 'Y', 'BREAK'),
('1003', '10.10.10.15', '8600053', 'SIP/1003', 'READY',  0, 'SURVEY',  '', '', '', 33445566, NOW() - INTERVAL 6 MINUTE, NOW() - INTERVAL 5 MINUTE, '', '', 1, '', 9, NOW() - INTERVAL 5 MINUTE, 'Y', '');

-- ---------------------------------------------------------------------------
-- Callback email alert container (spec section 6 format)
-- ---------------------------------------------------------------------------
INSERT INTO vicidial_settings_containers (container_id, container_notes, container_type, user_group, container_entry) VALUES
('AGENT_CALLBACK_EMAIL', 'Scheduled callback email alert settings', 'OTHER', '---ALL---',
 CONCAT_WS('\n',
  'email_from=callbacks@example.com',
  'email_subject=Callback due: --A--first_name--B-- --A--last_name--B--',
  'email_body_begin=Hello --A--agent_name--B--,',
  'your callback with --A--first_name--B-- --A--last_name--B-- (--A--phone_number--B--) is due at --A--callback_time--B--.',
  'Comments: --A--callback_comments--B--',
  'email_body_end'));

-- ---------------------------------------------------------------------------
-- Admin log: a manager already edited two callbacks from the lead page
-- ---------------------------------------------------------------------------
INSERT INTO vicidial_admin_log (admin_log_id, event_date, user, ip_address, event_section, event_type, record_id, event_code, event_sql, event_notes, user_group) VALUES
(9001, NOW() - INTERVAL 2 HOUR, '6666', '10.10.10.50', 'LEADS', 'MODIFY', '100019', 'ADMIN MODIFY LEAD CALLBACK',
 'UPDATE vicidial_callbacks SET recipient=''USERONLY'',user=''1002'',user_group=''AGENTS'' where callback_id=''522'';', '', 'ADMIN'),
(9002, NOW() - INTERVAL 1 HOUR, '6666', '10.10.10.50', 'LEADS', 'MODIFY', '100037', 'ADMIN MODIFY LEAD CALLBACK',
 CONCAT('UPDATE vicidial_callbacks SET callback_time=''', DATE_FORMAT(TIMESTAMP(CURDATE() + INTERVAL 3 DAY, '14:00:00'), '%Y-%m-%d %H:%i:%s'),
        ''',comments=''Aloha; call after lunch HST'' where callback_id=''527'';'), '', 'ADMIN');
