#!/usr/bin/env bash
# The same first acts as examples/first-act.mjs, with curl, jq and OpenSSL 3 (Ed25519 signs the assertion):
#   LEDGER_ADMIN_TOKEN=<the token npm start printed> bash examples/first-act.sh
set -euo pipefail
LEDGER_URL=${LEDGER_URL:-http://127.0.0.1:3000} # the ledger's public URL, spelled as it prints it
: "${LEDGER_ADMIN_TOKEN:?set LEDGER_ADMIN_TOKEN to the admin token npm start printed}"
RETURN_URL=http://localhost:8080/return # your e-service's page the citizen's browser comes back to
PERSON=test-person-jana                 # a simulator test person (GET /api/v1/admin/citizens lists them)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# api METHOD PATH [curl options]: the answer on stdout; a refusal (a problem document: a stable type, a detail
# saying what to change) on stderr, and the script stops.
api() {
  local answer status
  answer=$(curl -sS -X "$1" "$LEDGER_URL$2" "${@:3}" -w '\n%{http_code}')
  status=${answer##*$'\n'}
  if [ "$status" -ge 400 ]; then echo "$1 $2 answered $status: ${answer%$'\n'*}" >&2; return 1; fi
  printf '%s\n' "${answer%$'\n'*}"
}
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
sha() { printf '%s' "$2" | openssl dgst "-$1" -r | cut -d' ' -f1; }
admin=(-H "authorization: Bearer $LEDGER_ADMIN_TOKEN")
json=(-H 'content-type: application/json')

# 1. An admin registers the provider with its public key (an Ed25519 JWK) and return URL.
openssl genpkey -algorithm ed25519 -out "$WORK/key.pem"
X=$(openssl pkey -in "$WORK/key.pem" -pubout -outform DER | tail -c 32 | b64url)
PROVIDER_ID=$(api POST /api/v1/admin/providers "${admin[@]}" "${json[@]}" -d "$(jq -n --arg x "$X" --arg back "$RETURN_URL" \
  '{name: "My e-service", jwks: {keys: [{kty: "OKP", crv: "Ed25519", x: $x, kid: "first-key"}]}, returnUrls: [$back]}')" | jq -r .providerId)

# 2. An ActAs token (10 minutes) for a client assertion signed with the private key (RFC 7523).
NOW=$(date +%s)
HEADER=$(printf '{"alg":"EdDSA","kid":"first-key"}' | b64url)
CLAIMS=$(jq -cn --arg id "$PROVIDER_ID" --arg aud "$LEDGER_URL/api/v1/token" --arg jti "$(openssl rand -hex 16)" --argjson now "$NOW" \
  '{iss: $id, sub: $id, aud: $aud, jti: $jti, iat: $now, exp: ($now + 120)}' | b64url)
printf '%s.%s' "$HEADER" "$CLAIMS" > "$WORK/signing-input"
SIGNATURE=$(openssl pkeyutl -sign -rawin -inkey "$WORK/key.pem" -in "$WORK/signing-input" | b64url)
TOKEN=$(api POST /api/v1/token -d grant_type=client_credentials \
  -d client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \
  -d "client_assertion=$HEADER.$CLAIMS.$SIGNATURE" | jq -r .access_token)
provider=(-H "authorization: Bearer $TOKEN")

# 3. The SePP your e-service knows the person by (the AIFO is not one; each provider gets its own SePP).
SEPP=$(api GET "/api/v1/admin/citizens/$PERSON/sepp?providerId=$PROVIDER_ID" "${admin[@]}" | jq -r .sepp)

# 4. An act: the SHA-256 of the document, a name and a description the citizen will see.
register_act() {
  api POST /api/v1/acts "${provider[@]}" "${json[@]}" -d "$(jq -n --arg sepp "$SEPP" --arg name "$1" --arg hash "$(sha sha256 "a document: $1")" \
    '{sepp: $sepp, name: $name, description: "Example act", documentHash: $hash}')"
}

# 5. By code: the ledger sends a code to the citizen's phone; your page asks the citizen to type it in.
ACT=$(register_act 'Building permit application' | jq -r .actId)
ISSUED=$(api POST "/api/v1/acts/$ACT/codes" "${provider[@]}" "${json[@]}" -d '{"channel":"sms"}')
CODE_ID=$(jq -r .codeId <<<"$ISSUED")
delivery() { api GET "/api/v1/acts/$ACT" "${provider[@]}" | jq -r --arg id "$CODE_ID" '.codes[] | select(.codeId == $id) | .delivery'; }
while [ "$(delivery)" = pending ]; do sleep 0.2; done # delivery runs in the background: follow it on the act
[ "$(delivery)" = sent ] || { echo "the code was not delivered: ask for a new one" >&2; exit 1; }
# The simulated phone (also at /simulator/phone/test-person-jana): the message whose code has the SHA-256 you got.
for TYPED in $(api GET "/api/v1/simulator/outbox?aifo=$PERSON" "${admin[@]}" | jq -r '.messages[].code'); do
  [ "$(sha sha256 "$ACT:$TYPED")" = "$(jq -r .codeSha256 <<<"$ISSUED")" ] && break
done
RESULT=$(api POST "/api/v1/acts/$ACT/codes/$CODE_ID/verifications" "${provider[@]}" "${json[@]}" \
  -d "{\"codeSha512\":\"$(sha sha512 "$ACT:$TYPED")\"}" | jq -r .result) # never the code itself
echo "by code: $RESULT"

# By authentication, the citizen's browser goes to the act's authorizationUrl and comes back to your return URL.
# as_the_citizen plays that browser (a cookie jar, one redirect at a time) so that the example runs unattended;
# its form fields are what the tester picks on the simulated identity node's page. It prints the return URL.
as_the_citizen() {
  local jar="$WORK/cookies" node callback
  hop() { curl -sS -o /dev/null -b "$jar" -c "$jar" -w '%{redirect_url}' "$@"; }
  node=$(hop "$1?redirect_uri=$(jq -rn --arg u "$RETURN_URL" '$u | @uri')&state=$2")
  callback=$(hop "${node%%\?*}" -d "request=${node#*request=}" "${@:3}")
  hop "$callback" # the ledger records the outcome and sends the browser to your return URL
}
query() { sed -n "s/.*[?&]$1=\([^&]*\).*/\1/p" <<<"$2"; }

# 6. By authentication: your return URL gets act_id and state (nothing else); check the state, then ask for the result.
STATE=$(openssl rand -hex 16)
BACK=$(as_the_citizen "$(register_act 'Change of address' | jq -r .authorizationUrl)" "$STATE" -d action=authenticate -d "person=$PERSON" -d means=eid-card)
[ "$(query state "$BACK")" = "$STATE" ] || { echo "not the state this e-service sent" >&2; exit 1; }
echo "by authentication: $(api GET "/api/v1/acts/$(query act_id "$BACK")" "${provider[@]}" | jq -r '"\(.status) (\(.method))"')"

# 7. Cancel (and any failure) comes back the same way; the act says why.
BACK=$(as_the_citizen "$(register_act 'Tax return' | jq -r .authorizationUrl)" "$(openssl rand -hex 16)" -d action=cancel)
echo "cancelled: $(api GET "/api/v1/acts/$(query act_id "$BACK")" "${provider[@]}" | jq -r '"\(.status) (\(.failure.reason))"')"
