package main

import "testing"

// azSecurityRows are the matrix rows of the security routes (issue 8).
func azSecurityRows() []azRow {
	return []azRow{
		// Signing out everywhere ends every session of the staff account,
		// the matrix's own too, so an allowed call gets the caller a new one.
		{name: "DELETE /api/me/sessions", want: azWant{401, 403, 403, 204, 204, 204, 204},
			req: func(t *testing.T, e *azEnv, who azWho) azReq {
				return azReq{token: e.freshToken(t, who), method: "DELETE", path: "/api/me/sessions"}
			},
			check: func(t *testing.T, e *azEnv, who azWho, q azReq, r azResp) {
				if who == azAnon {
					return
				}
				own := e.as(t, who, "GET", "/api/me", nil).status
				if r.status != 204 {
					if own != 200 {
						t.Errorf("after a refused sign-out everywhere the caller's session: GET /api/me = %d, want 200", own)
					}
					return
				}
				for _, tok := range []string{q.token, e.tokens[who]} {
					if got := e.call(t, tok, "GET", "/api/me", nil, nil).status; got != 401 {
						t.Errorf("a session after signing out everywhere: GET /api/me = %d, want 401", got)
					}
				}
				e.tokens[who] = e.freshToken(t, who)
			}},
	}
}
