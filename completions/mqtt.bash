# bash completion for mqtt                                 -*- shell-script -*-
# Generated from mqtt's command tree by `npm run gen` (src/cli/completion.ts): do not edit.
# Install: copy to ~/.local/share/bash-completion/completions/mqtt (or
# /usr/share/bash-completion/completions/mqtt), or add to ~/.bashrc: source <(mqtt completion bash)

# _mqtt_command PATH: sets the subcommands, options and options taking a value of PATH
_mqtt_command() {
    case $1 in
        'mqtt') subcommands='pub sub rr test passwd broker bench sniff ctrl completion help' options='--version --profile --help' valued='--profile' ;;
        'mqtt pub') subcommands='' options='--version -t --topic -m --message -f --file -s --stdin-file -l --stdin-line -n --null-message --json-lines -r --retain -q --qos --repeat --repeat-delay --replay-timing --speed --fail-on-reason -h --host -p --port --unix -L --url --ws-path -u --username -P --pw --auth-method -i --id -I --id-prefix -k --keepalive -c --disable-clean-session -x -V --protocol-version -A --nodelay -M -d --debug --quiet -S --proxy --will-topic --will-payload --will-qos --will-retain --cafile --capath --cert --key --keyform --tls-use-os-certs --tls-version --ciphers --tls-keylog --tls-alpn --insecure --psk --psk-identity --tls-engine --tls-engine-kpass-sha1 -D --property -o --profile --help' valued='-t --topic -m --message -f --file -q --qos --repeat --repeat-delay --speed -h --host -p --port --unix -L --url --ws-path -u --username --auth-method -i --id -I --id-prefix -k --keepalive -x -V --protocol-version -A -M --proxy --will-topic --will-payload --will-qos --cafile --capath --cert --key --keyform --tls-version --ciphers --tls-keylog --tls-alpn --psk --psk-identity --tls-engine --tls-engine-kpass-sha1 -D --property -o --profile' ;;
        'mqtt sub') subcommands='' options='--version -t --topic -T --filter-out -U --unsubscribe -q --qos -C -W -E -R --retained-only --remove-retained --retain-as-published --random-filter --idle-timeout --no-local -v --verbose -N -F --pretty --json -h --host -p --port --unix -L --url --ws-path -u --username -P --pw --auth-method -i --id -I --id-prefix -k --keepalive -c --disable-clean-session -x -V --protocol-version -A --nodelay -M -d --debug --quiet -S --proxy --will-topic --will-payload --will-qos --will-retain --cafile --capath --cert --key --keyform --tls-use-os-certs --tls-version --ciphers --tls-keylog --tls-alpn --insecure --psk --psk-identity --tls-engine --tls-engine-kpass-sha1 -D --property -o --profile --help' valued='-t --topic -T --filter-out -U --unsubscribe -q --qos -C -W --random-filter --idle-timeout -F -h --host -p --port --unix -L --url --ws-path -u --username --auth-method -i --id -I --id-prefix -k --keepalive -x -V --protocol-version -A -M --proxy --will-topic --will-payload --will-qos --cafile --capath --cert --key --keyform --tls-version --ciphers --tls-keylog --tls-alpn --psk --psk-identity --tls-engine --tls-engine-kpass-sha1 -D --property -o --profile' ;;
        'mqtt rr') subcommands='' options='--version -t --topic -e -m --message -f --file -s --stdin-file -n --null-message -q --qos -W -R --retain-as-published --count -v --verbose -N -F --pretty --json -h --host -p --port --unix -L --url --ws-path -u --username -P --pw --auth-method -i --id -I --id-prefix -k --keepalive -c --disable-clean-session -x -V --protocol-version -A --nodelay -M -d --debug --quiet -S --proxy --will-topic --will-payload --will-qos --will-retain --cafile --capath --cert --key --keyform --tls-use-os-certs --tls-version --ciphers --tls-keylog --tls-alpn --insecure --psk --psk-identity --tls-engine --tls-engine-kpass-sha1 -D --property -o --profile --help' valued='-t --topic -e -m --message -f --file -q --qos -W --count -F -h --host -p --port --unix -L --url --ws-path -u --username --auth-method -i --id -I --id-prefix -k --keepalive -x -V --protocol-version -A -M --proxy --will-topic --will-payload --will-qos --cafile --capath --cert --key --keyform --tls-version --ciphers --tls-keylog --tls-alpn --psk --psk-identity --tls-engine --tls-engine-kpass-sha1 -D --property -o --profile' ;;
        'mqtt test') subcommands='' options='-h --host -p --port --unix -L --url --ws-path -u --username -P --pw --auth-method -i --id -I --id-prefix -k --keepalive -c --disable-clean-session -x -V --protocol-version -A --nodelay -M -d --debug --quiet -S --proxy --cafile --capath --cert --key --keyform --tls-use-os-certs --tls-version --ciphers --tls-keylog --tls-alpn --insecure --psk --psk-identity --tls-engine --tls-engine-kpass-sha1 --json --wait --help' valued='-h --host -p --port --unix -L --url --ws-path -u --username --auth-method -i --id -I --id-prefix -k --keepalive -x -V --protocol-version -A -M --proxy --cafile --capath --cert --key --keyform --tls-version --ciphers --tls-keylog --tls-alpn --psk --psk-identity --tls-engine --tls-engine-kpass-sha1 --wait' ;;
        'mqtt passwd') subcommands='' options='-b -c -D -H -I -U --check --stdout --compat --salt-bytes --help' valued='-H -I --compat --salt-bytes' ;;
        'mqtt broker') subcommands='' options='-c --config-file -p --port --bind --persist -v --verbose --help' valued='-c --config-file -p --port --bind --persist' ;;
        'mqtt bench') subcommands='conn pub sub pubsub schema help' options='--help' valued='' ;;
        'mqtt bench conn') subcommands='' options='-c --clients --concurrency -r --rate --hold -d --duration -w --workers --json --quiet -h --host -p --port -L --url -u --username -P --pw -V --protocol-version -k --keepalive -A --bind --id-prefix --cafile --cert --key --insecure --ciphers --tls-version --psk --psk-identity --tls-keylog --connect-timeout --help' valued='-c --clients --concurrency -r --rate --hold -d --duration -w --workers -h --host -p --port -L --url -u --username -P --pw -V --protocol-version -k --keepalive -A --bind --id-prefix --cafile --cert --key --ciphers --tls-version --psk --psk-identity --tls-keylog --connect-timeout' ;;
        'mqtt bench pub') subcommands='' options='-c --clients -t --topic -q --qos -s --size -r --rate -n --count --inflight --drain-timeout -d --duration -w --workers --json --quiet -h --host -p --port -L --url -u --username -P --pw -V --protocol-version -k --keepalive -A --bind --id-prefix --cafile --cert --key --insecure --ciphers --tls-version --psk --psk-identity --tls-keylog --connect-timeout --help' valued='-c --clients -t --topic -q --qos -s --size -r --rate -n --count --inflight --drain-timeout -d --duration -w --workers -h --host -p --port -L --url -u --username -P --pw -V --protocol-version -k --keepalive -A --bind --id-prefix --cafile --cert --key --ciphers --tls-version --psk --psk-identity --tls-keylog --connect-timeout' ;;
        'mqtt bench sub') subcommands='' options='-c --clients -t --topic -q --qos -n --count -d --duration -w --workers --json --quiet -h --host -p --port -L --url -u --username -P --pw -V --protocol-version -k --keepalive -A --bind --id-prefix --cafile --cert --key --insecure --ciphers --tls-version --psk --psk-identity --tls-keylog --connect-timeout --help' valued='-c --clients -t --topic -q --qos -n --count -d --duration -w --workers -h --host -p --port -L --url -u --username -P --pw -V --protocol-version -k --keepalive -A --bind --id-prefix --cafile --cert --key --ciphers --tls-version --psk --psk-identity --tls-keylog --connect-timeout' ;;
        'mqtt bench pubsub') subcommands='' options='--publishers --subscribers --filter --sub-qos --ahead -t --topic -q --qos -s --size -r --rate -n --count --inflight --drain-timeout -d --duration -w --workers --json --quiet -h --host -p --port -L --url -u --username -P --pw -V --protocol-version -k --keepalive -A --bind --id-prefix --cafile --cert --key --insecure --ciphers --tls-version --psk --psk-identity --tls-keylog --connect-timeout --help' valued='--publishers --subscribers --filter --sub-qos --ahead -t --topic -q --qos -s --size -r --rate -n --count --inflight --drain-timeout -d --duration -w --workers -h --host -p --port -L --url -u --username -P --pw -V --protocol-version -k --keepalive -A --bind --id-prefix --cafile --cert --key --ciphers --tls-version --psk --psk-identity --tls-keylog --connect-timeout' ;;
        'mqtt bench schema') subcommands='' options='--help' valued='' ;;
        'mqtt bench help') subcommands='' options='' valued='' ;;
        'mqtt sniff') subcommands='' options='-i --interface -r --read -w --write -p --port -V --mqtt-version --tls-keylog -c --count --json --payload -v --verbose --show-passwords --check --summary --no-summary -q --quiet --no-packets --no-color --help' valued='-i --interface -r --read -w --write -p --port -V --mqtt-version --tls-keylog -c --count' ;;
        'mqtt ctrl') subcommands='' options='--version -v --verbose -q --qos -h --host -p --port --unix -L --url --ws-path -u --username -P --pw --auth-method -i --id -I --id-prefix -k --keepalive -c --disable-clean-session -x -V --protocol-version -A --nodelay -M -d --debug --quiet -S --proxy --cafile --capath --cert --key --keyform --tls-use-os-certs --tls-version --ciphers --tls-keylog --tls-alpn --insecure --psk --psk-identity --tls-engine --tls-engine-kpass-sha1 -o --profile --help' valued='-q --qos -h --host -p --port --unix -L --url --ws-path -u --username --auth-method -i --id -I --id-prefix -k --keepalive -x -V --protocol-version -A -M --proxy --cafile --capath --cert --key --keyform --tls-version --ciphers --tls-keylog --tls-alpn --psk --psk-identity --tls-engine --tls-engine-kpass-sha1 -o --profile' ;;
        'mqtt completion') subcommands='' options='--help' valued='' ;;
        'mqtt help') subcommands='' options='' valued='' ;;
        *) subcommands='' options='' valued='' ;;
    esac
}

_mqtt_words() {
    COMPREPLY=($(compgen -W "$1" -- "$cur"))
}

_mqtt_files() {
    compopt -o filenames 2>/dev/null
    local IFS=$'\n'
    COMPREPLY=($(compgen "$1" -- "$cur"))
}

_mqtt_interfaces() {
    COMPREPLY=($(compgen -W "any $(command ls /sys/class/net 2>/dev/null)" -- "$cur"))
}

# _mqtt_value PATH OPTION: completes the value of OPTION, or with OPTION empty a positional argument
_mqtt_value() {
    case "$1 $2" in
        'mqtt pub -f' | 'mqtt pub --file' | 'mqtt pub --unix' | 'mqtt pub --cafile' | 'mqtt pub --cert' | 'mqtt pub --key' | 'mqtt pub --tls-keylog' | 'mqtt pub -o' | 'mqtt sub --unix' | 'mqtt sub --cafile' | 'mqtt sub --cert' | 'mqtt sub --key' | 'mqtt sub --tls-keylog' | 'mqtt sub -o' | 'mqtt rr -f' | 'mqtt rr --file' | 'mqtt rr --unix' | 'mqtt rr --cafile' | 'mqtt rr --cert' | 'mqtt rr --key' | 'mqtt rr --tls-keylog' | 'mqtt rr -o' | 'mqtt test --unix' | 'mqtt test --cafile' | 'mqtt test --cert' | 'mqtt test --key' | 'mqtt test --tls-keylog' | 'mqtt passwd ' | 'mqtt broker -c' | 'mqtt broker --config-file' | 'mqtt bench conn --cafile' | 'mqtt bench conn --cert' | 'mqtt bench conn --key' | 'mqtt bench conn --tls-keylog' | 'mqtt bench pub --cafile' | 'mqtt bench pub --cert' | 'mqtt bench pub --key' | 'mqtt bench pub --tls-keylog' | 'mqtt bench sub --cafile' | 'mqtt bench sub --cert' | 'mqtt bench sub --key' | 'mqtt bench sub --tls-keylog' | 'mqtt bench pubsub --cafile' | 'mqtt bench pubsub --cert' | 'mqtt bench pubsub --key' | 'mqtt bench pubsub --tls-keylog' | 'mqtt sniff -r' | 'mqtt sniff --read' | 'mqtt sniff -w' | 'mqtt sniff --write' | 'mqtt sniff --tls-keylog' | 'mqtt ctrl --unix' | 'mqtt ctrl --cafile' | 'mqtt ctrl --cert' | 'mqtt ctrl --key' | 'mqtt ctrl --tls-keylog' | 'mqtt ctrl -o')
            _mqtt_files -f ;;
        'mqtt pub -q' | 'mqtt pub --qos' | 'mqtt pub --will-qos' | 'mqtt sub -q' | 'mqtt sub --qos' | 'mqtt sub --will-qos' | 'mqtt rr -q' | 'mqtt rr --qos' | 'mqtt rr --will-qos' | 'mqtt bench pub -q' | 'mqtt bench pub --qos' | 'mqtt bench sub -q' | 'mqtt bench sub --qos' | 'mqtt bench pubsub --sub-qos' | 'mqtt bench pubsub -q' | 'mqtt bench pubsub --qos' | 'mqtt ctrl -q' | 'mqtt ctrl --qos')
            _mqtt_words '0 1 2' ;;
        'mqtt pub -V' | 'mqtt pub --protocol-version' | 'mqtt sub -V' | 'mqtt sub --protocol-version' | 'mqtt rr -V' | 'mqtt rr --protocol-version' | 'mqtt test -V' | 'mqtt test --protocol-version' | 'mqtt bench conn -V' | 'mqtt bench conn --protocol-version' | 'mqtt bench pub -V' | 'mqtt bench pub --protocol-version' | 'mqtt bench sub -V' | 'mqtt bench sub --protocol-version' | 'mqtt bench pubsub -V' | 'mqtt bench pubsub --protocol-version' | 'mqtt ctrl -V' | 'mqtt ctrl --protocol-version')
            _mqtt_words '31 311 5 mqttv31 mqttv311 mqttv5' ;;
        'mqtt pub --capath' | 'mqtt sub --capath' | 'mqtt rr --capath' | 'mqtt test --capath' | 'mqtt broker --persist' | 'mqtt ctrl --capath')
            _mqtt_files -d ;;
        'mqtt pub --keyform' | 'mqtt sub --keyform' | 'mqtt rr --keyform' | 'mqtt test --keyform' | 'mqtt ctrl --keyform')
            _mqtt_words 'pem' ;;
        'mqtt pub --tls-version' | 'mqtt sub --tls-version' | 'mqtt rr --tls-version' | 'mqtt test --tls-version' | 'mqtt bench conn --tls-version' | 'mqtt bench pub --tls-version' | 'mqtt bench sub --tls-version' | 'mqtt bench pubsub --tls-version' | 'mqtt ctrl --tls-version')
            _mqtt_words 'tlsv1.3 tlsv1.2 tlsv1.1' ;;
        'mqtt passwd -H')
            _mqtt_words 'sha512-pbkdf2 argon2id sha512 scram-sha-256 scram-sha-512' ;;
        'mqtt passwd --compat')
            _mqtt_words '2.0 2.1' ;;
        'mqtt passwd --salt-bytes')
            _mqtt_words '12 64' ;;
        'mqtt bench help ')
            _mqtt_words 'conn pub sub pubsub schema' ;;
        'mqtt sniff -i' | 'mqtt sniff --interface')
            _mqtt_interfaces ;;
        'mqtt sniff -V' | 'mqtt sniff --mqtt-version')
            _mqtt_words '3.1 3.1.1 5' ;;
        'mqtt completion ')
            _mqtt_words 'bash zsh fish' ;;
        'mqtt help ')
            _mqtt_words 'pub sub rr test passwd broker bench sniff ctrl completion' ;;
    esac
}

_mqtt() {
    local cur=${COMP_WORDS[COMP_CWORD]} path=mqtt option= word i
    local subcommands options valued
    _mqtt_command "$path"
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if [[ $word == -* ]]; then
            [[ " $valued " == *" $word "* ]] || continue
            ((i++))
            # --option=value: bash splits at the '='
            [[ ${COMP_WORDS[i]} == = ]] && ((i++))
            ((i >= COMP_CWORD)) && option=$word
        elif [[ " $subcommands " == *" $word "* ]]; then
            path="$path $word"
            _mqtt_command "$path"
        fi
    done
    [[ $cur == = ]] && cur=
    if [[ -n $option ]]; then
        _mqtt_value "$path" "$option"
    elif [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$options" -- "$cur"))
    elif [[ -n $subcommands ]]; then
        COMPREPLY=($(compgen -W "$subcommands" -- "$cur"))
    else
        _mqtt_value "$path" ''
    fi
}

complete -F _mqtt mqtt
