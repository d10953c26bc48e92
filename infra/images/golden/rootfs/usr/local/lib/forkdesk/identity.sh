# Sourced by the desktop session's scripts and the fork hook: who uid 1000 is now. The fork hook
# renames the account after the session started, so it is read afresh each time, with shell
# builtins only (in a freshly forked child every new program costs emulated CPU).

# Sets FD_LOGIN, FD_FULL (the display name, or the login) and FD_HOME.
fd_identity() {
  FD_LOGIN='' FD_FULL='' FD_HOME=''
  while IFS=: read -r fd_name _ fd_uid _ fd_gecos fd_home _ || [ -n "$fd_name" ]; do
    if [ "$fd_uid" = 1000 ]; then
      FD_LOGIN=$fd_name FD_FULL=${fd_gecos%%,*} FD_HOME=$fd_home
      break
    fi
    fd_name=''
  done </etc/passwd
  [ -n "$FD_FULL" ] || FD_FULL=$FD_LOGIN
}

# The panel's label: the user's display name, login and this desktop's hostname.
fd_label() {
  fd_identity
  read -r fd_host </proc/sys/kernel/hostname
  printf '%s  (%s@%s)\n' "$FD_FULL" "$FD_LOGIN" "$fd_host"
}
