-- +goose Up
-- API tokens of ferry serve. Only a token's SHA-256 is kept: the token
-- itself is printed once, when it is made, and cannot be read back.
CREATE TABLE ferry_token (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text        NOT NULL DEFAULT '',
    role         text        NOT NULL CHECK (role IN ('admin', 'viewer')),
    hash         text        NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz
);

-- +goose Down
DROP TABLE ferry_token;
