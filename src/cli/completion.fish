# fish completion for mlsub: commands, flags, launchers, systems, and the
# chosen system's partitions and GPU types, each with its description, all
# asked of mlsub itself when completing (mlsub completion --list ...).

function __mlsub_list --description 'mlsub completion --list ARGS, for the words on the line'
    set -l line (commandline -opc)
    set -l extra
    for i in (seq 2 (count $line))
        if test "$line[$i]" = --catalogue; and test $i -lt (count $line)
            set -a extra --catalogue $line[(math $i + 1)]
        end
    end
    mlsub $extra completion --list $argv 2>/dev/null
end

function __mlsub_command --description 'the mlsub command on the line, if any ("--" after --)'
    set -l line (commandline -opc)
    if contains -- -- $line[2..-1]
        printf '%s\n' --  # the program's own arguments follow (echo would print nothing)
        return
    end
    set -l skip 0
    for word in $line[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        switch $word
            case --catalogue --config
                set skip 1
            case '-*'
            case '*'
                echo $word
                return
        end
    end
end

function __mlsub_system --description 'the value of --system on the line'
    set -l line (commandline -opc)
    for i in (seq 2 (count $line))
        switch $line[$i]
            case --system -s
                if test $i -lt (count $line)
                    echo $line[(math $i + 1)]
                    return
                end
            case '--system=*'
                string replace -- --system= '' $line[$i]
                return
        end
    end
end

function __mlsub_after --description 'the previous word is one of ARGV'
    set -l line (commandline -opc)
    contains -- $line[-1] $argv
end

function __mlsub_flags --description 'the flags of the command on the line'
    set -l cmd (__mlsub_command)
    test "$cmd" = -- ; and return
    if test -n "$cmd"
        __mlsub_list flags --command $cmd
    else
        __mlsub_list flags
    end
end

function __mlsub_in --description 'the command on the line is one of ARGV ("" for none)'
    set -l cmd (__mlsub_command)
    contains -- "$cmd" $argv
end

function __mlsub_word --description 'what is typed is a word, not a flag, after no flag'
    set -l line (commandline -opc)
    not string match -q -- '-*' (commandline -ct)
    and not string match -q -- '-*' $line[-1]
end

complete -c mlsub -f
# Values of the flags that take a known word.
complete -c mlsub -n '__mlsub_after --system -s' -a '(__mlsub_list systems)'
complete -c mlsub -n '__mlsub_after --partition -p' -a '(__mlsub_list partitions --system (__mlsub_system))'
complete -c mlsub -n '__mlsub_after --gpu-type' -a '(__mlsub_list gpu-types --system (__mlsub_system))'
complete -c mlsub -n '__mlsub_after --launcher' -a '(__mlsub_list launchers)'
complete -c mlsub -n '__mlsub_in check; and __mlsub_after --ignore --explain' -a '(__mlsub_list findings)'
complete -c mlsub -n '__mlsub_after --format' -a 'text github'
complete -c mlsub -n '__mlsub_after --template --venv --container --check --catalogue --config --dir -o --output --svg --html' -F
# Commands, their flags, and what follows them.
complete -c mlsub -n '__mlsub_in ""; and __mlsub_word' -a '(__mlsub_list commands)'
complete -c mlsub -n 'not __mlsub_in --; and string match -q -- "-*" (commandline -ct)' -a '(__mlsub_flags)'
complete -c mlsub -n '__mlsub_in show; and __mlsub_word' -a '(__mlsub_list systems)'
complete -c mlsub -n '__mlsub_in completion; and __mlsub_word' -a 'bash zsh fish'
complete -c mlsub -n '__mlsub_in plan submit check report logs doctor; and __mlsub_word' -F
complete -c mlsub -n '__mlsub_in --' -F
