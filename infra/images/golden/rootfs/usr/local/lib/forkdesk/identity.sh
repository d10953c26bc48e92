# Sourced by the desktop session's scripts: who uid 1000 is now. The fork hook renames the
# account after the session started, so this is read afresh each time, with shell builtins only
# (in a freshly forked child every new program costs emulated CPU).
# Sets FD_LOGIN, FD_FULL (display name, or the login) and FD_HOME.
FD_LOGIN='' FD_FULL='' FD_HOME=''
while IFS=: read -r fd_name _ fd_uid _ fd_gecos fd_home _; do
  if [ "$fd_uid" = 1000 ]; then
    FD_LOGIN=$fd_name FD_FULL=${fd_gecos%%,*} FD_HOME=$fd_home
    break
  fi
done </etc/passwd
[ -n "$FD_FULL" ] || FD_FULL=$FD_LOGIN
unset fd_name fd_uid fd_gecos fd_home
