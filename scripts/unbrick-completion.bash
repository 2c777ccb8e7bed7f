# SPDX-License-Identifier: MIT
# bash completion for unbrick's programs: beken-spi, gx-upload, w800-xmodem,
# ecr-uart and ingenic-usbboot. The commands, the options and the backend
# specs come from the program's own --help, so they never fall behind it.
# Installed once per program name in bash-completion's completions directory.

# _unbrick_help PROGRAM PART [OPTION]: words from PROGRAM's --help: its
# "commands", its "options", or the "specs" its list for OPTION gives (the
# part headed "... (OPTION):"), cut to their prefixes ("sim:", "ch341a").
_unbrick_help()
{
	"$1" --help 2>/dev/null | awk -v want="$2" -v opt="${3-}" '
		/^Commands:/ { part = "commands"; next }
		/^Options:/ { part = "options"; next }
		/^[A-Za-z].*\(-.*\):$/ { part = index($0, "(" opt ")") ? "specs" : ""; next }
		/^[^ ]/ { part = "" }
		part != want { next }
		part == "commands" && /^  [a-z]/ { print $1 }
		part == "options" && /^  +-/ {
			sub(/^ +/, "")
			n = split($0, w, / +/)
			for (i = 1; i <= n && w[i] ~ /^-/; i++) {
				sub(/,$/, "", w[i])
				print w[i]
			}
		}
		part == "specs" && /^  [^ ]/ {
			s = $1
			sub(/^\[/, "", s)
			if (s ~ /^\//) next
			if (index(s, ":")) s = substr(s, 1, index(s, ":"))
			else sub(/[\[,].*/, "", s)
			if (s !~ /[A-Z]/)   # not a placeholder such as gpiochipN:
				print s
		}'
}

# Does OPTION take a value ("--spi SPEC", "-o, --output FILE", "--erase a|b")?
_unbrick_takes_value()
{
	"$1" --help 2>/dev/null | awk -v opt="$2" '
		/^  +-/ {
			sub(/^ +/, "")
			n = split($0, w, / +/)
			k = 0
			for (i = 1; i <= n && w[i] ~ /^-/; i++) {
				sub(/,$/, "", w[i])
				names[++k] = w[i]
			}
			if (i <= n && (w[i] ~ /^[A-Z[]/ || w[i] ~ /[|=]/))
				for (j = 1; j <= k; j++)
					if (names[j] == opt)
						found = 1
		}
		END { exit !found }'
}

_unbrick()
{
	local prog=$1 cur=${COMP_WORDS[COMP_CWORD]} prev=""
	local i word command=""

	COMPREPLY=()
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	case $prev in
	-s | --spi)
		mapfile -t COMPREPLY < <(compgen -W "$(_unbrick_help "$prog" specs --spi)
			$(compgen -G '/dev/spidev*' | sed 's/^/spidev:/')" -- "$cur")
		return
		;;
	-p | --port)
		mapfile -t COMPREPLY < <(compgen -W "$(_unbrick_help "$prog" specs -p)
			$(compgen -G '/dev/tty[UA][SC][BM]*'; compgen -G '/dev/serial/by-id/*')" -- "$cur")
		return
		;;
	--usb)
		mapfile -t COMPREPLY < <(compgen -W "$(_unbrick_help "$prog" specs --usb)
			$(ls /sys/bus/usb/devices 2>/dev/null | grep -E '^[0-9]+-[0-9.]+$')" -- "$cur")
		return
		;;
	--cen)
		mapfile -t COMPREPLY < <(compgen -W "ch341a:d2 $(_unbrick_help "$prog" specs --cen)
			$(compgen -G '/dev/gpiochip*' | sed 's|^/dev/||; s/$/:/')" -- "$cur")
		return
		;;
	--progress)
		mapfile -t COMPREPLY < <(compgen -W "auto always never" -- "$cur")
		return
		;;
	--erase)
		mapfile -t COMPREPLY < <(compgen -W "chip partition range" -- "$cur")
		return
		;;
	-o | --output | --backup | -c | --config | -L | --loader | --stub)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	--loader-dir | --board-dir)
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		return
		;;
	-*)
		if [[ $prev == --* ]] && _unbrick_takes_value "$prog" "$prev"; then
			return
		fi
		;;
	esac
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_unbrick_help "$prog" options)" -- "$cur")
		return
	fi
	# The command is the first word that is neither an option nor its value.
	for ((i = 1; i < COMP_CWORD; i++)); do
		word=${COMP_WORDS[i]}
		if [[ $word == -* ]]; then
			[[ $word != *=* ]] && _unbrick_takes_value "$prog" "$word" && ((i++))
			continue
		fi
		command=$word
		break
	done
	if [[ -z $command ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_unbrick_help "$prog" commands)" -- "$cur")
	else
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	fi
}

complete -F _unbrick beken-spi gx-upload w800-xmodem ecr-uart ingenic-usbboot
